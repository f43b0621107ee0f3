"""shoal.client.ecsjson: ECS JSON out with every list kept."""

from __future__ import annotations

import json

from google.protobuf import json_format

from shoal.client.ecsjson import to_dict, to_json
from shoal.v1 import api_pb2, ecs_pb2


def test_empty_lists_are_printed_as_ecs_does() -> None:
    assert to_dict(api_pb2.RunTaskResponse()) == {"tasks": [], "failures": []}
    td = ecs_pb2.TaskDefinition(
        family="web", container_definitions=[ecs_pb2.ContainerDefinition(name="a", image="i", memory=32)]
    )
    d = to_dict(api_pb2.DescribeTaskDefinitionResponse(task_definition=td))
    assert d["tags"] == []
    assert d["taskDefinition"]["volumes"] == [] and d["taskDefinition"]["placementConstraints"] == []
    c = d["taskDefinition"]["containerDefinitions"][0]
    for name in ("environment", "mountPoints", "volumesFrom", "portMappings", "command"):
        assert c[name] == [], name
    assert "dockerLabels" not in c  # empty maps stay out
    assert "cpu" not in c and "essential" not in c  # unset scalars and optionals stay out
    assert "healthCheck" not in c  # absent messages are not filled in


def test_present_fields_keep_values_and_order() -> None:
    task = ecs_pb2.Task(
        task_arn="arn:t",
        last_status="RUNNING",
        containers=[ecs_pb2.Container(name="a", exit_code=0)],
    )
    task.created_at.FromSeconds(0)
    plain = json_format.MessageToDict(task)
    kept = to_dict(task)
    assert [k for k in kept if k in plain] == list(plain)  # same order as protobuf's own
    assert kept["createdAt"] == plain["createdAt"] == "1970-01-01T00:00:00Z"
    assert kept["containers"][0]["exitCode"] == 0  # explicitly set optional zero is kept
    assert kept["containers"][0]["networkBindings"] == []


def test_to_json_one_line_for_json_lines() -> None:
    text = to_json(ecs_pb2.ServiceEvent(id="1", message="é"), indent=None)
    assert "\n" not in text and json.loads(text) == {"id": "1", "message": "é"}
