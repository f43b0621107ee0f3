"""Container instance resources in ECS shape (CPU, MEMORY, PORTS, PORTS_UDP)."""

from __future__ import annotations

from collections.abc import Iterable

from shoal.v1 import ecs_pb2


def integer_resource(name: str, value: int) -> ecs_pb2.Resource:
    return ecs_pb2.Resource(name=name, type="INTEGER", integer_value=value)


def ports_resource(name: str, ports: Iterable[int]) -> ecs_pb2.Resource:
    return ecs_pb2.Resource(name=name, type="STRINGSET", string_set_value=[str(p) for p in sorted(ports)])


def resource_value(resources: Iterable[ecs_pb2.Resource], name: str) -> int:
    for r in resources:
        if r.name == name:
            return r.integer_value or r.long_value or int(r.double_value)
    return 0


def resource_ports(resources: Iterable[ecs_pb2.Resource], name: str) -> set[int]:
    for r in resources:
        if r.name == name:
            return {int(p) for p in r.string_set_value}
    return set()


def attribute_map(instance: ecs_pb2.ContainerInstance) -> dict[str, str]:
    return {a.name: a.value for a in instance.attributes}
