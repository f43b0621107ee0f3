"""Docker labels Shoal puts on task containers, gathered in one place (the agent adopts by them)."""

from __future__ import annotations

LABEL_TASK_ARN = "com.shoal.task-arn"
LABEL_CONTAINER_NAME = "com.shoal.container-name"
LABEL_CLUSTER = "com.shoal.cluster"
LABEL_INSTANCE_ID = "com.shoal.container-instance"
LABEL_TASK_DEFINITION = "com.shoal.task-definition-arn"
