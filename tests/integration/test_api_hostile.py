"""Each hostile input of the issue "never INTERNAL, never a poisoned cluster": refused with its field."""

from __future__ import annotations

import grpc
import pytest

from shoal.v1 import api_pb2, ecs_pb2
from tests.integration.test_api import (  # noqa: F401 - the api fixture
    api,
    container,
    error_of,
    instance_registration,
    register_instance,
    register_req,
)

P = "arn:shoal:ecs:local:000000000000:"
BIG = "4" + "0" * 399
LIST_CALLS = [
    ("ListClusters", api_pb2.ListClustersRequest),
    ("ListTaskDefinitions", api_pb2.ListTaskDefinitionsRequest),
    ("ListTaskDefinitionFamilies", api_pb2.ListTaskDefinitionFamiliesRequest),
    ("ListContainerInstances", api_pb2.ListContainerInstancesRequest),
    ("ListAttributes", api_pb2.ListAttributesRequest),
    ("ListTasks", api_pb2.ListTasksRequest),
    ("ListServices", api_pb2.ListServicesRequest),
]


def refused(call, request, field: str, words: str = "") -> str:
    code, message, info = error_of(call, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, (code, message)
    assert info.metadata["field"] == field, message
    assert words in message, message
    assert len(message.encode()) < 1500
    return message


@pytest.fixture(scope="module")
def hostile(api):  # noqa: F811 - the fixture imported above
    api.RegisterTaskDefinition(register_req("hostile"), timeout=10)
    return api


@pytest.mark.parametrize(("method", "cls"), LIST_CALLS)
@pytest.mark.parametrize("token", ["²", "9" * 5000, "12\n"])
def test_next_token_that_is_not_ours(hostile, method: str, cls, token: str) -> None:
    refused(getattr(hostile, method), cls(next_token=token), "nextToken", "not a token")


@pytest.mark.parametrize("ref", ["hostile:²", "hostile:" + "9" * 5000, "hostile:1\n", "hostile\n"])
def test_revision_of_other_digits_or_length(hostile, ref: str) -> None:
    msg = refused(hostile.RunTask, api_pb2.RunTaskRequest(task_definition=ref), "taskDefinition")
    assert len(msg) < 300


def test_numbers_of_400_digits(hostile) -> None:
    refused(hostile.RegisterTaskDefinition, register_req("h2", cpu=BIG), "cpu", "not a CPU amount")
    refused(hostile.RegisterTaskDefinition, register_req("h2", memory=BIG), "memory", "not a memory amount")
    for name in ("cpu", "memory"):
        req = api_pb2.RunTaskRequest(task_definition="hostile", overrides=ecs_pb2.TaskOverride(**{name: BIG}))
        refused(hostile.RunTask, req, f"overrides.{name}")


@pytest.mark.parametrize(("count", "size"), [(1, 2_000_000), (10, 200_000)])
def test_overrides_too_large_for_one_write(hostile, count: int, size: int) -> None:
    override = ecs_pb2.ContainerOverride(name="app", command=["x" * size])
    req = api_pb2.RunTaskRequest(
        task_definition="hostile", count=count, overrides=ecs_pb2.TaskOverride(container_overrides=[override])
    )
    refused(hostile.RunTask, req, "overrides", "limit is 8192")


def test_values_of_8_kb_are_quoted_short(hostile) -> None:
    msg = refused(hostile.CreateCluster, api_pb2.CreateClusterRequest(cluster_name="c" * 8000), "clusterName")
    assert "(8000 characters)" in msg and len(msg) < 300
    msg = refused(
        hostile.DescribeClusters, api_pb2.DescribeClustersRequest(clusters=["é" * 8000]), "clusters"
    )
    assert len(msg) < 300


def test_names_with_a_trailing_newline(hostile) -> None:
    refused(hostile.CreateCluster, api_pb2.CreateClusterRequest(cluster_name="prod\n"), "clusterName")
    refused(hostile.RegisterTaskDefinition, register_req("fam\n"), "family")
    refused(
        hostile.RegisterTaskDefinition,
        register_req("fam", container(name="app\n")),
        "containerDefinitions[0].name",
    )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"image": "busybox\x00"}, "containerDefinitions[0].image"),
        ({"command": ["sh", "-c\x00rm"]}, "containerDefinitions[0].command[1]"),
        (
            {"environment": [ecs_pb2.KeyValuePair(name="A", value="x\x00y")]},
            "containerDefinitions[0].environment[0].value",
        ),
    ],
)
def test_nul_bytes(hostile, kw: dict, field: str) -> None:
    refused(hostile.RegisterTaskDefinition, register_req("nul", container(**kw)), field, "NUL")


def test_container_override_memory_minus_one(hostile) -> None:
    o = ecs_pb2.ContainerOverride(name="app", memory=-1)
    req = api_pb2.RunTaskRequest(
        task_definition="hostile", overrides=ecs_pb2.TaskOverride(container_overrides=[o])
    )
    refused(hostile.RunTask, req, "overrides.containerOverrides[0].memory", "at least 6")


@pytest.mark.parametrize(
    ("tags", "field"),
    [
        ([ecs_pb2.Tag(key=f"k{i}", value="v") for i in range(51)], "tags"),
        ([ecs_pb2.Tag(key="k", value="v" * 1_000_000)], "tags[0].value"),
        ([ecs_pb2.Tag(key="k" * 129, value="v")], "tags[0].key"),
    ],
)
def test_tags_over_the_ecs_limits(hostile, tags, field: str) -> None:
    refused(hostile.CreateCluster, api_pb2.CreateClusterRequest(cluster_name="tagged", tags=tags), field)
    refused(hostile.RunTask, api_pb2.RunTaskRequest(task_definition="hostile", tags=tags), field)
    refused(
        hostile.RegisterTaskDefinition,
        api_pb2.RegisterTaskDefinitionRequest(
            task_definition=register_req("tagged").task_definition, tags=tags
        ),
        field,
    )
    req = api_pb2.CreateServiceRequest(
        service_name="tagged", task_definition="hostile", desired_count=0, tags=tags
    )
    refused(hostile.CreateService, req, field)
    clusters = hostile.ListClusters(api_pb2.ListClustersRequest(), timeout=10).cluster_arns
    assert P + "cluster/tagged" not in clusters


def test_arns_of_the_wrong_kind_or_cluster(hostile) -> None:
    req = api_pb2.CreateServiceRequest(
        service_name=P + "cluster/default", task_definition="hostile", desired_count=0
    )
    refused(hostile.CreateService, req, "serviceName", "not an ARN")
    assert not hostile.ListServices(api_pb2.ListServicesRequest(), timeout=10).service_arns
    task = P + "task/default/0123456789abcdef0123456789abcdef"
    refused(hostile.DeleteService, api_pb2.DeleteServiceRequest(service=task), "service", "not a service ARN")
    other = P + "task/other/0123456789abcdef0123456789abcdef"
    refused(hostile.StopTask, api_pb2.StopTaskRequest(task=other), "task", "cluster 'other'")
    refused(hostile.DescribeTasks, api_pb2.DescribeTasksRequest(tasks=[other]), "tasks", "cluster 'other'")
    svc = P + "service/other/web"
    refused(
        hostile.DescribeServices,
        api_pb2.DescribeServicesRequest(services=[svc]),
        "services",
        "cluster 'other'",
    )


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("DescribeClusters", api_pb2.DescribeClustersRequest(clusters=["c"] * 101), "clusters"),
        (
            "DescribeContainerInstances",
            api_pb2.DescribeContainerInstancesRequest(container_instances=["i-1"] * 101),
            "containerInstances",
        ),
        ("DescribeTasks", api_pb2.DescribeTasksRequest(tasks=["t"] * 101), "tasks"),
        ("DescribeServices", api_pb2.DescribeServicesRequest(services=["s"] * 11), "services"),
        (
            "UpdateContainerInstancesState",
            api_pb2.UpdateContainerInstancesStateRequest(container_instances=["i-1"] * 11, status="DRAINING"),
            "containerInstances",
        ),
        (
            "PutAttributes",
            api_pb2.PutAttributesRequest(
                attributes=[ecs_pb2.Attribute(name=f"a{i}", target_id="i-1") for i in range(11)]
            ),
            "attributes",
        ),
    ],
)
def test_per_call_caps(hostile, method: str, request_, field: str) -> None:
    refused(getattr(hostile, method), request_, field, "per call")


# -- agents ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resources", "words"),
    [
        ([ecs_pb2.Resource(name="PORTS", type="STRINGSET", string_set_value=["ssh"])], "is not a port"),
        ([ecs_pb2.Resource(name="PORTS", type="STRINGSET", string_set_value=["70000"])], "is not a port"),
        ([ecs_pb2.Resource(name="CPU", type="INTEGER", integer_value=-5)], "between 0"),
        ([ecs_pb2.Resource(name="MEMORY", double_value=float("inf"))], "between 0"),
        ([ecs_pb2.Resource(name="GPU", integer_value=1)], "is not one of"),
    ],
)
def test_bad_registration_is_refused_and_the_cluster_keeps_working(hostile, resources, words: str) -> None:
    reply = register_instance(hostile, instance_registration(registered_resources=resources))
    assert reply.WhichOneof("body") == "rejected"
    assert words in reply.rejected.reason and "registeredResources[0]" in reply.rejected.reason
    # The cluster is whole: reads, placement and deletion all answer.
    arns = hostile.ListContainerInstances(api_pb2.ListContainerInstancesRequest(), timeout=10)
    if arns.container_instance_arns:
        hostile.DescribeContainerInstances(
            api_pb2.DescribeContainerInstancesRequest(container_instances=arns.container_instance_arns),
            timeout=10,
        )
    hostile.RunTask(api_pb2.RunTaskRequest(task_definition="hostile", dry_run=True), timeout=10)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"instance_id": "i-0123\n"}, "instanceId"),
        ({"host_ip": "10.0.0.1 evil"}, "hostIp"),
        ({"attributes": [ecs_pb2.Attribute(name="bad name", value="x")]}, "attributes[0].name"),
        ({"version_info": ecs_pb2.VersionInfo(agent_version="1." + "9" * 5000)}, "versionInfo.agent_version"),
        ({"cluster": "c" * 8000}, "cluster"),
    ],
)
def test_bad_registration_fields(hostile, kw: dict, words: str) -> None:
    reply = register_instance(hostile, instance_registration(**kw))
    assert reply.WhichOneof("body") == "rejected"
    assert words in reply.rejected.reason and len(reply.rejected.reason) < 400


def test_list_attributes_pages(hostile) -> None:
    reply = register_instance(hostile, instance_registration())
    assert reply.WhichOneof("body") == "registered"
    iid = reply.registered.instance_id
    attrs = [ecs_pb2.Attribute(name=f"a{i}", value="v", target_id=iid) for i in range(3)]
    hostile.PutAttributes(api_pb2.PutAttributesRequest(attributes=attrs), timeout=10)
    seen, token = [], ""
    while True:
        page = hostile.ListAttributes(
            api_pb2.ListAttributesRequest(target_type="container-instance", max_results=2, next_token=token),
            timeout=10,
        )
        assert len(page.attributes) <= 2
        seen += [a.name for a in page.attributes if a.target_id.endswith(iid)]
        token = page.next_token
        if not token:
            break
    assert {"a0", "a1", "a2"} <= set(seen)
    # The good instance deregisters with --force and the default cluster still answers.
    hostile.DeregisterContainerInstance(
        api_pb2.DeregisterContainerInstanceRequest(container_instance=iid, force=True), timeout=10
    )
