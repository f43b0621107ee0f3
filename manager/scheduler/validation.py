"""Checks placement strategies and constraints as the API receives them (INVALID_ARGUMENT on failure)."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.core.errors import quote
from shoal.manager.scheduler.cql import CQLSyntaxError, Expression, parse
from shoal.manager.scheduler.model import PlacementConstraint, PlacementStrategy

MAX_STRATEGIES = 5
MAX_CONSTRAINTS = 10
MAX_EXPRESSION_LENGTH = 2000

STRATEGY_TYPES = ("binpack", "spread", "random")
BINPACK_FIELDS = ("cpu", "memory")
SPREAD_INSTANCE_FIELDS = ("instanceId", "host")
ATTRIBUTE_PREFIX = "attribute:"
CONSTRAINT_TYPES = ("distinctInstance", "memberOf")


class PlacementRequestError(ValueError):
    """A malformed placement strategy or constraint; the API answers INVALID_ARGUMENT naming ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validate_placement(
    strategies: Sequence[PlacementStrategy],
    constraints: Sequence[PlacementConstraint],
    *,
    in_task_definition: bool = False,
) -> None:
    """Raise :class:`PlacementRequestError` for the first invalid strategy or constraint.

    Field names follow the ECS request members: ``placementStrategy[i].field``,
    ``placementConstraints[i].expression``.
    """
    if len(strategies) > MAX_STRATEGIES:
        raise PlacementRequestError(
            "placementStrategy",
            f"at most {MAX_STRATEGIES} placement strategies are allowed, got {len(strategies)}",
        )
    for i, strategy in enumerate(strategies):
        validate_strategy(i, strategy)
    if len(constraints) > MAX_CONSTRAINTS:
        raise PlacementRequestError(
            "placementConstraints",
            f"at most {MAX_CONSTRAINTS} placement constraints are allowed, got {len(constraints)}",
        )
    for i, constraint in enumerate(constraints):
        parse_constraint(i, constraint, in_task_definition=in_task_definition)


def validate_strategy(i: int, strategy: PlacementStrategy) -> None:
    """Check one strategy; ``i`` is its position in the request."""
    where = f"placementStrategy[{i}]"
    kind, field = strategy.type, strategy.field
    if kind == "binpack":
        if field not in BINPACK_FIELDS:
            raise PlacementRequestError(
                f"{where}.field", f"binpack field must be cpu or memory, got {quote(field)}"
            )
    elif kind == "spread":
        if field in SPREAD_INSTANCE_FIELDS:
            return
        if not field.startswith(ATTRIBUTE_PREFIX) or not field[len(ATTRIBUTE_PREFIX) :].strip():
            raise PlacementRequestError(
                f"{where}.field",
                f"spread field must be instanceId, host or attribute:<name>, got {quote(field)}",
            )
    elif kind != "random":  # random takes no field; ECS ignores one if given
        raise PlacementRequestError(
            f"{where}.type",
            f"unknown placement strategy type {quote(kind)}; expected binpack, spread or random",
        )


def parse_constraint(
    i: int, constraint: PlacementConstraint, *, in_task_definition: bool = False
) -> Expression | None:
    """Check one constraint and return its parsed memberOf expression (None for distinctInstance)."""
    where = f"placementConstraints[{i}]"
    kind, text = constraint.type, constraint.expression
    if kind == "distinctInstance":
        if in_task_definition:
            raise PlacementRequestError(
                f"{where}.type", "distinctInstance is not allowed in a task definition; only memberOf is"
            )
        if text:
            raise PlacementRequestError(f"{where}.expression", "distinctInstance takes no expression")
        return None
    if kind != "memberOf":
        raise PlacementRequestError(
            f"{where}.type",
            f"unknown placement constraint type {quote(kind)}; expected distinctInstance or memberOf",
        )
    if not text.strip():
        raise PlacementRequestError(f"{where}.expression", "memberOf requires an expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise PlacementRequestError(
            f"{where}.expression",
            f"expression is {len(text)} characters long; at most {MAX_EXPRESSION_LENGTH} are allowed",
        )
    try:
        return parse(text)
    except CQLSyntaxError as error:
        message = error.message
        if f"column {error.column}" not in message:
            message = f"{message} at column {error.column}"
        raise PlacementRequestError(f"{where}.expression", f"invalid expression: {message}") from error
