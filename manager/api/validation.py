"""Agent registrations checked as strictly as API input: one bad agent must never poison its cluster."""

from __future__ import annotations

import math
import re

from shoal.core import arns
from shoal.core.errors import InvalidArgument, Problems, quote
from shoal.core.resources import port_number
from shoal.v1 import agent_pb2

INTEGER_RESOURCES = ("CPU", "MEMORY")
PORT_RESOURCES = ("PORTS", "PORTS_UDP")
MAX_AMOUNT = 2**31 - 1
MAX_PORTS = 1000
MAX_ATTRIBUTES = 100
MAX_RUNNING_TASKS = 10_000
MAX_TEXT = 255
_ATTRIBUTE_NAME_RE = re.compile(r"[A-Za-z0-9_./-]{1,128}")
_VERSION_TEXT = 64


def _text(value: str, field: str, limit: int = MAX_TEXT) -> None:
    """Short, printable text: it ends up in error messages, tables and CQL matches."""
    if len(value) > limit or not value.isprintable():
        raise InvalidArgument(field, f"{quote(value)} must be at most {limit} printable characters")


def validate_registration(reg: agent_pb2.RegisterInstance) -> None:
    """Refuse a registration the manager could not later read back; every problem at once."""
    p = Problems()
    with p.check():
        arns.cluster_name(reg.cluster, "cluster")
    with p.check():
        if reg.instance_id:
            # An unknown id is replaced by a new one; a non-printable one is refused outright.
            _text(reg.instance_id, "instanceId", 64)
            if any(ch.isspace() for ch in reg.instance_id):
                raise InvalidArgument("instanceId", f"{quote(reg.instance_id)} must not contain blanks")
    seen: set[str] = set()
    for i, r in enumerate(reg.registered_resources):
        with p.check():
            _check_resource(r, f"registeredResources[{i}]", seen)
    with p.check():
        if len(reg.attributes) > MAX_ATTRIBUTES:
            raise InvalidArgument(
                "attributes", f"at most {MAX_ATTRIBUTES} attributes, got {len(reg.attributes)}"
            )
    for i, a in enumerate(reg.attributes[:MAX_ATTRIBUTES]):
        with p.check():
            if not _ATTRIBUTE_NAME_RE.fullmatch(a.name):
                raise InvalidArgument(
                    f"attributes[{i}].name",
                    f"{quote(a.name)} must be 1-128 characters of A-Z a-z 0-9 - _ / .",
                )
            _text(a.value, f"attributes[{i}].value", 128)
    for name in ("agent_version", "agent_hash", "docker_version"):
        with p.check():
            _text(getattr(reg.version_info, name), f"versionInfo.{name}", _VERSION_TEXT)
    with p.check():
        _text(reg.host_ip, "hostIp", 253)
        if any(ch.isspace() for ch in reg.host_ip):
            raise InvalidArgument("hostIp", f"{quote(reg.host_ip)} must not contain blanks")
    with p.check():
        if len(reg.running_task_arns) > MAX_RUNNING_TASKS:
            raise InvalidArgument("runningTaskArns", f"at most {MAX_RUNNING_TASKS} task ARNs")
        for i, arn in enumerate(reg.running_task_arns):
            _text(arn, f"runningTaskArns[{i}]", 512)
    p.raise_if_any()


def _check_resource(r, f: str, seen: set[str]) -> None:
    if r.name not in INTEGER_RESOURCES + PORT_RESOURCES:
        raise InvalidArgument(
            f + ".name", f"{quote(r.name)} is not one of {', '.join(INTEGER_RESOURCES + PORT_RESOURCES)}"
        )
    if r.name in seen:
        raise InvalidArgument(f + ".name", f"{r.name} is given twice")
    seen.add(r.name)
    if r.name in INTEGER_RESOURCES:
        if r.type not in ("", "INTEGER"):
            raise InvalidArgument(f + ".type", f"{quote(r.type)}: {r.name} is an INTEGER resource")
        if r.string_set_value:
            raise InvalidArgument(f + ".stringSetValue", f"{r.name} takes a number, not a set")
        if not math.isfinite(r.double_value) or r.double_value < 0 or r.double_value > MAX_AMOUNT:
            raise InvalidArgument(f + ".doubleValue", f"must be between 0 and {MAX_AMOUNT}")
        for name, value in (("integerValue", r.integer_value), ("longValue", r.long_value)):
            if not 0 <= value <= MAX_AMOUNT:
                raise InvalidArgument(f"{f}.{name}", f"must be between 0 and {MAX_AMOUNT}, got {value}")
        return
    if r.type not in ("", "STRINGSET"):
        raise InvalidArgument(f + ".type", f"{quote(r.type)}: {r.name} is a STRINGSET resource")
    if r.integer_value or r.long_value or r.double_value:
        raise InvalidArgument(f + ".integerValue", f"{r.name} takes a set of ports, not a number")
    if len(r.string_set_value) > MAX_PORTS:
        raise InvalidArgument(f + ".stringSetValue", f"at most {MAX_PORTS} ports")
    for j, port in enumerate(r.string_set_value):
        if port_number(port) is None:
            raise InvalidArgument(f"{f}.stringSetValue[{j}]", f"{quote(port)} is not a port (1-65535)")
