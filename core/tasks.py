"""Task status rules both sides follow: the lastStatus order, stop codes, what holds resources."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core import clock
from shoal.v1 import ecs_pb2

# lastStatus never moves backwards along this order.
# How a task's stoppedReason says the agent's engine did not answer: the instance failed, not the task.
ENGINE_UNREACHABLE = "the Docker Engine is not reachable"
STATUS_ORDER = {
    "PROVISIONING": 0,
    "PENDING": 1,
    "ACTIVATING": 2,
    "RUNNING": 3,
    "DEACTIVATING": 4,
    "STOPPING": 5,
    "DEPROVISIONING": 6,
    "STOPPED": 7,
}
STOP_CODES = (
    "TaskFailedToStart",
    "EssentialContainerExited",
    "UserInitiated",
    "ServiceSchedulerInitiated",
    "InfrastructureHealth",
)


def now_ts(at: datetime | None = None) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at or clock.now())
    return ts


def is_stopped(task: ecs_pb2.Task) -> bool:
    return task.last_status == "STOPPED"


def holds_resources(task: ecs_pb2.Task) -> bool:
    """A placed task counts against its instance until it has STOPPED."""
    return bool(task.container_instance_arn) and not is_stopped(task)
