"""Explains why no instance can take a task: per-reason counts and the closest instance's shortfall."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.manager.scheduler.filters import (
    STAGE_AGENT,
    STAGE_CONSTRAINT,
    STAGE_REASONS,
    CompiledRequest,
    Rejection,
    first_failure,
)
from shoal.manager.scheduler.model import REASON_MISSING, PlacementFailure
from shoal.manager.scheduler.state import InstanceState

EMPTY_CLUSTER = "no container instances registered in the cluster"
NONE_USABLE = "no container instance is ACTIVE with a connected agent"
NONE_HEALTHY = "no container instance is ACTIVE with a connected agent and a container runtime that answers"


def explain_failure(
    nodes: Sequence[InstanceState], compiled: CompiledRequest, count: int = 1
) -> PlacementFailure:
    """Build the failure for a task that no instance of ``nodes`` can take.

    Every instance is run through the pipeline in order (status, agent, CPU, memory, ports,
    attributes, constraints) and counted under the first filter it fails: that is ``eliminated``.
    The *closest* instance is the one that got furthest down the pipeline; among those, the one that
    lacked the least (relative shortfall of the resource, or fewest conflicting ports, missing
    attributes, failed constraints); then the first in snapshot order. The failure's reason is the
    closest instance's, which is also the last filter that removed candidates. ``detail`` says what the
    closest instance lacked; a memberOf expression that no usable instance satisfies is reported as
    matching no instance, since no amount of free capacity would help.
    """
    if not nodes:
        return PlacementFailure(REASON_MISSING, EMPTY_CLUSTER, {}, "", count)
    eliminated: dict[str, int] = {}
    closest: tuple[Rejection, InstanceState] | None = None
    for node in nodes:
        rejection = first_failure(node, compiled)
        if rejection is None:  # fits: not this function's business, but never crash an explanation
            continue
        reason = STAGE_REASONS[rejection.stage]
        eliminated[reason] = eliminated.get(reason, 0) + 1
        if closest is None or (rejection.stage, -rejection.shortfall) > (
            closest[0].stage,
            -closest[0].shortfall,
        ):
            closest = (rejection, node)
    ordered = {reason: eliminated[reason] for reason in STAGE_REASONS if reason in eliminated}
    if closest is None:
        return PlacementFailure(REASON_MISSING, EMPTY_CLUSTER, ordered, "", count)
    rejection, node = closest
    if rejection.stage <= STAGE_AGENT:
        impaired = any(n.view.agent_connected and not n.view.runtime_ok for n in nodes)
        detail = NONE_HEALTHY if impaired else NONE_USABLE
        return PlacementFailure(rejection.reason, detail, ordered, "", count)
    detail = rejection.detail
    if rejection.stage == STAGE_CONSTRAINT and rejection.constraint:
        member = next(m for m in compiled.member_of if m.text == rejection.constraint)
        if not any(
            other.usable and member.expression.evaluate(other.cql_view(), other.groups) for other in nodes
        ):
            detail = f"constraint `{member.text}` matched no instance"
    return PlacementFailure(rejection.reason, detail, ordered, node.instance_id, count)
