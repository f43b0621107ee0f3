"""ARN-like identifiers: arn:shoal:ecs:<region>:<account>:<kind>/<...>, and their short forms."""

from __future__ import annotations

import re
import secrets

from shoal.core.errors import InvalidArgument, quote

REGION = "local"
ACCOUNT = "000000000000"
_PREFIX = f"arn:shoal:ecs:{REGION}:{ACCOUNT}:"
# Used with fullmatch: `$` would also accept a trailing newline.
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_REVISION_RE = re.compile(r"[0-9]{1,8}")
MAX_REVISION = 99_999_999  # what the zero-padded revision keys sort correctly up to


def cluster_arn(name: str) -> str:
    return f"{_PREFIX}cluster/{name}"


def task_definition_arn(family: str, revision: int) -> str:
    return f"{_PREFIX}task-definition/{family}:{revision}"


def task_arn(cluster: str, task_id: str) -> str:
    return f"{_PREFIX}task/{cluster}/{task_id}"


def container_arn(cluster: str, task_id: str, name: str) -> str:
    return f"{_PREFIX}container/{cluster}/{task_id}/{name}"


def instance_arn(cluster: str, instance_id: str) -> str:
    return f"{_PREFIX}container-instance/{cluster}/{instance_id}"


def new_task_id() -> str:
    return secrets.token_hex(16)


def new_instance_id() -> str:
    return "i-" + secrets.token_hex(8)


def _resource(value: str, kind: str, field: str) -> str:
    """What follows `<kind>/` in an ARN, or the value itself when it is not an ARN."""
    if value.startswith("arn:"):
        if not value.startswith(_PREFIX + kind + "/"):
            raise InvalidArgument(field, f"{quote(value)} is not a {kind} ARN")
        return value[len(_PREFIX) + len(kind) + 1 :]
    return value


def cluster_name(value: str, field: str = "cluster") -> str:
    """Cluster name from a name or ARN; empty means `default`."""
    if not value:
        return "default"
    name = _resource(value, "cluster", field)
    if not NAME_RE.fullmatch(name):
        raise InvalidArgument(
            field, f"{quote(value)} is not a valid cluster name (1-255 letters, digits, '-' or '_')"
        )
    return name


def _in_cluster(value: str, kind: str, field: str, cluster: str | None) -> str:
    """The last element of `<kind>/[<cluster>/]<last>`, refusing an ARN of another cluster."""
    rest = _resource(value, kind, field)
    if not value.startswith("arn:"):
        return rest
    owner, sep, last = rest.rpartition("/")
    if not sep:
        return rest  # the old ARN format, without the cluster
    if "/" in owner or (cluster is not None and owner != cluster):
        raise InvalidArgument(
            field, f"{quote(value)} is an ARN of cluster {quote(owner)}, not of cluster {quote(cluster)}"
        )
    return last


def short_id(value: str, kind: str, field: str, cluster: str | None = None) -> str:
    """Last path element of a task/container-instance ARN, or the id itself.

    With `cluster`, an ARN must belong to that cluster: the id alone would otherwise name a task of
    the request's cluster that the caller never meant.
    """
    if not value:
        raise InvalidArgument(field, "must not be empty")
    short = _in_cluster(value, kind, field, cluster)
    if not _ID_RE.fullmatch(short):
        raise InvalidArgument(field, f"{quote(value)} is not a valid {kind} id")
    return short


def service_arn(cluster: str, name: str) -> str:
    return f"{_PREFIX}service/{cluster}/{name}"


def service_name(value: str, field: str, cluster: str | None = None) -> str:
    """A service name from a name or a service ARN (of `cluster` when given)."""
    if not value:
        raise InvalidArgument(field, "is required")
    name = _in_cluster(value, "service", field, cluster)
    if not NAME_RE.fullmatch(name):
        raise InvalidArgument(field, f"{quote(value)} must be 1-255 letters, digits, '-' or '_'")
    return name


def parse_task_definition_ref(value: str, field: str = "taskDefinition") -> tuple[str, int | None]:
    """(family, revision or None for the latest ACTIVE) from family, family:revision or ARN."""
    if not value:
        raise InvalidArgument(field, "must name a task definition (family, family:revision or ARN)")
    family, _, rev = _resource(value, "task-definition", field).partition(":")
    if not NAME_RE.fullmatch(family):
        raise InvalidArgument(field, f"{quote(value)}: family must be 1-255 letters, digits, '-' or '_'")
    if not rev:
        return family, None
    # ASCII digits only ("²".isdigit() is True) and few of them: int() of thousands of digits fails.
    if not _REVISION_RE.fullmatch(rev) or int(rev) < 1:
        raise InvalidArgument(
            field, f"{quote(value)}: revision must be a positive integer of at most {MAX_REVISION}"
        )
    return family, int(rev)
