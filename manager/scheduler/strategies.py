"""Placement strategies as a lexicographic chain of keys, each smaller-is-better for placement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shoal.manager.scheduler.model import PlacementStrategy
from shoal.manager.scheduler.validation import ATTRIBUTE_PREFIX, validate_strategy

BINPACK_CPU = "binpack:cpu"
BINPACK_MEMORY = "binpack:memory"
SPREAD_INSTANCE = "spread:instance"
SPREAD_ATTRIBUTE = "spread:attribute"

# ECS defaults: services spread over AZs then instances; RunTask without strategies places at random.
DEFAULT_SERVICE_STRATEGIES: tuple[PlacementStrategy, ...] = (
    PlacementStrategy("spread", "attribute:ecs.availability-zone"),
    PlacementStrategy("spread", "instanceId"),
)
DEFAULT_RUN_TASK_STRATEGIES: tuple[PlacementStrategy, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """One strategy of the chain in normalised form.

    For placement the key is: binpack -> remaining amount of the resource; spread on the instance ->
    tasks of the group on that instance; spread on an attribute -> tasks of the group on every instance
    (of the whole cluster) that carries the same value. Instances lacking the attribute share the value
    ``None``, a value of its own, as ECS does.
    """

    kind: str
    attribute: str = ""  # for SPREAD_ATTRIBUTE

    @property
    def field(self) -> str:
        """The ECS field this link came from, for human reasons."""
        if self.kind == SPREAD_ATTRIBUTE:
            return ATTRIBUTE_PREFIX + self.attribute
        return {BINPACK_CPU: "cpu", BINPACK_MEMORY: "memory", SPREAD_INSTANCE: "instanceId"}[self.kind]


def compile_chain(strategies: Sequence[PlacementStrategy]) -> tuple[Link, ...]:
    """Normalise a validated strategy list into links.

    ``random`` ends the chain: it picks uniformly among what is left, which is exactly the final seeded
    tie-break, so links after it can never matter and are dropped. An empty chain means random.
    """
    links: list[Link] = []
    for i, strategy in enumerate(strategies):
        validate_strategy(i, strategy)
        if strategy.type == "random":
            break
        if strategy.type == "binpack":
            links.append(Link(BINPACK_CPU if strategy.field == "cpu" else BINPACK_MEMORY))
        elif strategy.field.startswith(ATTRIBUTE_PREFIX):
            links.append(Link(SPREAD_ATTRIBUTE, strategy.field[len(ATTRIBUTE_PREFIX) :].strip()))
        else:
            links.append(Link(SPREAD_INSTANCE))
    return tuple(links)
