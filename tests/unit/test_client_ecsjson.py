"""shoal.client.ecsjson: ECS JSON out with every list kept, ECS JSON in with every unknown field named."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from shoal.client.ecsjson import UNKNOWN_FIELD, UnknownFields, parse, parse_list, to_dict, to_json
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


def test_unknown_fields_are_all_reported_with_ecs_paths_and_hints() -> None:
    doc = {
        "family": "web",
        "containerDefinitons": [],
        "containerDefinitions": [
            {"name": "a", "portMapings": [], "healthCheck": {"comand": ["CMD"]}},
            {"name": "b", "zzz": 1},
        ],
    }
    with pytest.raises(UnknownFields) as info:
        parse(doc, ecs_pb2.TaskDefinition())
    problems = [(p.field, p.message) for p in info.value.problems]
    assert problems == [
        (
            "containerDefinitons",
            'containerDefinitons: unknown field "containerDefinitons" (did you mean "containerDefinitions"?)',
        ),
        (
            "containerDefinitions[0].portMapings",
            'containerDefinitions[0].portMapings: unknown field "portMapings" (did you mean "portMappings"?)',
        ),
        (
            "containerDefinitions[0].healthCheck.comand",
            'containerDefinitions[0].healthCheck.comand: unknown field "comand" (did you mean "command"?)',
        ),
        ("containerDefinitions[1].zzz", 'containerDefinitions[1].zzz: unknown field "zzz"'),
    ]
    exc = info.value
    assert exc.code == "INVALID_ARGUMENT" and exc.reason == UNKNOWN_FIELD
    assert exc.field == "containerDefinitons" and exc.message.count("; ") == 3


def test_parse_under_a_request_path_and_lists() -> None:
    with pytest.raises(UnknownFields) as info:
        parse({"containerOverrides": [{"nmae": "a"}]}, ecs_pb2.TaskOverride(), "overrides")
    assert info.value.field == "overrides.containerOverrides[0].nmae"
    with pytest.raises(UnknownFields) as info:
        parse_list(
            [{"type": "spread", "feild": "x"}, {"tpye": "binpack"}],
            ecs_pb2.PlacementStrategy,
            "placementStrategy",
        )
    assert [p.field for p in info.value.problems] == [
        "placementStrategy[0].feild",
        "placementStrategy[1].tpye",
    ]


def test_known_names_either_spelling_parse_as_protobuf_does() -> None:
    td = parse(
        {"family": "f", "container_definitions": [{"name": "a", "dockerLabels": {"k": "v"}}]},
        ecs_pb2.TaskDefinition(),
    )
    assert td.container_definitions[0].docker_labels["k"] == "v"
    got = parse_list([{"type": "binpack", "field": "memory"}], ecs_pb2.PlacementStrategy, "placementStrategy")
    assert got == [ecs_pb2.PlacementStrategy(type="binpack", field="memory")]


def test_wrong_value_types_are_left_to_protobuf() -> None:
    with pytest.raises(json_format.ParseError):
        parse({"family": "f", "containerDefinitions": [{"memory": "lots"}]}, ecs_pb2.TaskDefinition())
