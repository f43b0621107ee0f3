"""Container log rules both sides use: awslogs stream names, log driver choice, --since parsing (pure)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shoal.core.errors import InvalidArgument, quote
from shoal.v1 import ecs_pb2

# Drivers the local Docker Engine runs as the task definition asks, options unchanged.
DOCKER_LOG_DRIVERS = ("json-file", "local", "syslog", "journald", "fluentd", "gelf", "none")
# awslogs has no CloudWatch here: Shoal keeps the output on the instance and names it as ECS would.
SHOAL_LOG_DRIVERS = ("awslogs",)
# What the agent keeps task output with by default (rotated by its --log-max-size/--log-max-files).
DEFAULT_AGENT_DRIVERS = ("local", "json-file")

_DURATION_RE = re.compile(r"([0-9]{1,9})([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE_RE = re.compile(r"[0-9]{1,9}[kmg]?")


@dataclass(frozen=True)
class DockerLogConfig:
    """The Docker log driver and options a container is created with, and why it differs, if it does."""

    driver: str
    options: dict[str, str]
    warning: str = ""


def awslogs_names(cdef: ecs_pb2.ContainerDefinition, task_id: str) -> tuple[str, str]:
    """(log group, log stream) of an awslogs container, named as ECS names them:
    `prefix/container-name/task-id`; without a prefix Shoal uses `container-name/task-id`."""
    lc = cdef.log_configuration
    if lc.log_driver != "awslogs":
        return "", ""
    group = lc.options.get("awslogs-group", "")
    prefix = lc.options.get("awslogs-stream-prefix", "")
    stream = f"{prefix}/{cdef.name}/{task_id}" if prefix else f"{cdef.name}/{task_id}"
    return group, stream


def docker_log_config(
    cdef: ecs_pb2.ContainerDefinition, default_driver: str, max_size: str, max_files: int
) -> DockerLogConfig:
    """How the agent logs one container: Docker drivers as asked, the rotated default otherwise."""
    default = DockerLogConfig(default_driver, {"max-size": max_size, "max-file": str(max_files)})
    if not cdef.HasField("log_configuration") or not cdef.log_configuration.log_driver:
        return default
    lc = cdef.log_configuration
    if lc.log_driver in DOCKER_LOG_DRIVERS:
        return DockerLogConfig(lc.log_driver, dict(lc.options))
    if lc.log_driver in SHOAL_LOG_DRIVERS:
        return default
    return DockerLogConfig(
        default.driver,
        default.options,
        f"log driver {quote(lc.log_driver)} is not available on Shoal; the container logs with "
        f"{default_driver} (`shoal task logs` reads it)",
    )


def check_size(value: str, what: str) -> str:
    """A Docker log size such as 10m, 512k, 1g."""
    if not _SIZE_RE.fullmatch(value.lower()):
        raise InvalidArgument(what, f"{quote(value)} is not a size such as 10m, 512k or 1g")
    return value.lower()


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`10m`, `1h30m`, `2d` (that long before now) or an ISO 8601 / RFC 3339 time (UTC unless it says)."""
    text = value.strip()
    now = now or datetime.now(UTC)
    if text and _DURATION_RE.sub("", text) == "" and _DURATION_RE.match(text):
        seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION_RE.findall(text))
        return now - timedelta(seconds=seconds)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidArgument(
            "since", f"{quote(value)} is neither a duration (10m, 1h, 2d) nor a time (2026-01-31T12:00:00Z)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_STAMP_RE = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) ")


@functools.lru_cache(maxsize=256)
def _epoch(second: bytes, zone: bytes) -> int:
    z = "+00:00" if zone == b"Z" else zone.decode()
    return int(datetime.fromisoformat(second.decode() + z).timestamp())


def docker_timestamp(line: bytes) -> tuple[int, int, bytes] | None:
    """(epoch seconds, nanoseconds, rest of the line) of a `timestamps=True` line; None without one.
    Fast: lines of one second share the parse of their second."""
    m = _STAMP_RE.match(line)
    if m is None:
        return None
    frac = m.group(2) or b"0"
    return _epoch(m.group(1), m.group(3)), int(frac.ljust(9, b"0")), line[m.end() :]


def split_docker_timestamp(line: bytes) -> tuple[datetime | None, bytes]:
    """Docker's `timestamps=True` prefix (RFC 3339 with nanoseconds) and the rest of the line."""
    stamp, sep, rest = line.partition(b" ")
    if not sep:
        return None, line
    text = stamp.decode("ascii", "replace")
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        return None, line
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{frac}{zone}"), rest
