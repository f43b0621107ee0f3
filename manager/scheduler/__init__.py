"""Placement: pure functions from a cluster snapshot and a request to a plan or an explained failure."""

from shoal.manager.scheduler.cql import CQLSyntaxError
from shoal.manager.scheduler.model import (
    ClusterSnapshot,
    ContainerInstanceView,
    Placement,
    PlacementConstraint,
    PlacementFailure,
    PlacementPlan,
    PlacementStrategy,
    TaskRequest,
    TaskView,
)
from shoal.manager.scheduler.placement import Placer, filter_instances, place, place_on
from shoal.manager.scheduler.scale_in import choose_scale_in
from shoal.manager.scheduler.strategies import DEFAULT_RUN_TASK_STRATEGIES, DEFAULT_SERVICE_STRATEGIES
from shoal.manager.scheduler.validation import PlacementRequestError, validate_placement

__all__ = [
    "DEFAULT_RUN_TASK_STRATEGIES",
    "DEFAULT_SERVICE_STRATEGIES",
    "CQLSyntaxError",
    "ClusterSnapshot",
    "ContainerInstanceView",
    "Placement",
    "PlacementConstraint",
    "PlacementFailure",
    "PlacementPlan",
    "PlacementRequestError",
    "PlacementStrategy",
    "Placer",
    "TaskRequest",
    "TaskView",
    "choose_scale_in",
    "filter_instances",
    "place",
    "place_on",
    "validate_placement",
]
