"""Container instance resources in ECS shape (CPU, MEMORY, PORTS, PORTS_UDP)."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable

from shoal.v1 import ecs_pb2

log = logging.getLogger(__name__)
_PORT_RE = re.compile(r"[0-9]{1,5}")


def integer_resource(name: str, value: int) -> ecs_pb2.Resource:
    return ecs_pb2.Resource(name=name, type="INTEGER", integer_value=value)


def ports_resource(name: str, ports: Iterable[int]) -> ecs_pb2.Resource:
    return ecs_pb2.Resource(name=name, type="STRINGSET", string_set_value=[str(p) for p in sorted(ports)])


def resource_value(resources: Iterable[ecs_pb2.Resource], name: str) -> int:
    """The amount of a resource; a stored value that is no finite amount counts as 0 (and is logged)."""
    for r in resources:
        if r.name == name:
            if r.integer_value or r.long_value:
                return r.integer_value or r.long_value
            if math.isfinite(r.double_value):
                return int(r.double_value)
            log.warning("resource %s has no finite value (%r); counted as 0", name, r.double_value)
            return 0
    return 0


def port_number(value: str) -> int | None:
    """A port from its decimal ASCII form, or None when it is not one (1-65535)."""
    if not _PORT_RE.fullmatch(value):
        return None
    port = int(value)
    return port if 1 <= port <= 65535 else None


def resource_ports(resources: Iterable[ecs_pb2.Resource], name: str) -> set[int]:
    """The ports of a STRINGSET resource; a stored entry that is not a port is logged and skipped."""
    for r in resources:
        if r.name == name:
            ports = {port_number(p) for p in r.string_set_value}
            if None in ports:
                log.warning("resource %s holds entries that are not ports; they are ignored", name)
            return {p for p in ports if p is not None}
    return set()


def attribute_map(instance: ecs_pb2.ContainerInstance) -> dict[str, str]:
    return {a.name: a.value for a in instance.attributes}
