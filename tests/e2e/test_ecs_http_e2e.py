"""boto3 and the aws CLI, unchanged, against a real manager and real agents: only endpoint and keys differ."""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from shoal.manager.ecs_http.server import EcsEndpoint, EcsHttpServer
from tests.conftest import BIN, LocalCluster, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

FAST = {"Delay": 1, "MaxAttempts": 90}
TARGET = "AmazonEC2ContainerServiceV20141113."


def taskdef(family: str, image: str, marker: str) -> dict:
    """A register-task-definition input as users keep them in their repositories."""
    return {
        "family": family,
        "networkMode": "bridge",
        "requiresCompatibilities": ["EC2"],
        "containerDefinitions": [
            {
                "name": "app",
                "image": image,
                "cpu": 64,
                "memory": 32,
                "essential": True,
                "command": ["sh", "-c", f"trap 'exit 0' TERM; echo {marker}; sleep 3600 & wait"],
                "environment": [{"name": "MARKER", "value": marker}],
            }
        ],
        "tags": [{"key": "team", "value": "ci"}],
    }


class Ecs:
    """The cluster behind the ECS endpoint, with one AWS credential per role."""

    def __init__(self, cluster: LocalCluster, url: str) -> None:
        self.cluster = cluster
        self.url = url
        self.ca = str(cluster.ca_file)
        self.creds: dict[str, configparser.SectionProxy] = {}
        self.credentials_file = cluster.root / "aws-credentials"
        text = ""
        for role in ("admin", "read-only"):
            out = cluster.shoal(
                "auth", "create-key", "--name", f"aws-{role}", "--role", role, "--aws-credentials"
            )
            text += out.stdout
        self.credentials_file.write_text(text)
        parser = configparser.ConfigParser()
        parser.read_string(text)
        self.creds = {"admin": parser["aws-admin"], "read-only": parser["aws-read-only"]}

    def client(
        self,
        role: str = "admin",
        *,
        region: str = "local",
        secret: str = "",
        key_id: str = "",
        service: str = "ecs",
        **cfg,
    ):
        c = self.creds[role]
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            verify=self.ca,
            aws_access_key_id=key_id or c["aws_access_key_id"],
            aws_secret_access_key=secret or c["aws_secret_access_key"],
            config=Config(retries={"max_attempts": 1}, **cfg),
        )


@pytest.fixture(scope="module")
def ecs(tmp_path_factory: pytest.TempPathFactory, docker_client, busybox_image) -> Iterator[Ecs]:
    root: Path = tmp_path_factory.mktemp("ecs-http")
    port = free_port()
    cluster = LocalCluster(root, docker_client, "--ecs-listen", f"127.0.0.1:{port}")
    cluster.start_manager()
    cluster.add_agent("vm1", "local-a")
    cluster.add_agent("vm2", "local-b")
    cluster.wait_connected(2)
    endpoint = Ecs(cluster, f"https://127.0.0.1:{port}")
    yield endpoint
    cluster.close()
    log = cluster.manager.log()
    assert "Traceback" not in log, log
    assert not any(c["aws_secret_access_key"] in log for c in endpoint.creds.values())


def test_boto3_deploys_as_to_ecs(ecs: Ecs, busybox_image: str, tmp_path: Path) -> None:
    client = ecs.client()
    assert client.create_cluster(clusterName="default")["cluster"]["status"] == "ACTIVE"
    # Users register from the JSON file in their repository.
    td_file = tmp_path / "taskdef.json"
    td_file.write_text(json.dumps(taskdef("boto-app", busybox_image, "one")))
    td = client.register_task_definition(**json.loads(td_file.read_text()))["taskDefinition"]
    assert td["taskDefinitionArn"].endswith(":task-definition/boto-app:1")
    assert td["registeredAt"].year >= 2024  # epoch seconds, parsed by botocore into a datetime

    run = client.run_task(cluster="default", taskDefinition="boto-app", count=1, startedBy="boto3")
    assert run["failures"] == [] and len(run["tasks"]) == 1
    arn = run["tasks"][0]["taskArn"]
    client.get_waiter("tasks_running").wait(cluster="default", tasks=[arn], WaiterConfig=FAST)
    task = client.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
    assert task["lastStatus"] == "RUNNING" and task["startedBy"] == "boto3"
    assert task["startedAt"] >= task["createdAt"]
    assert isinstance(task["version"], int)  # a Long, not protobuf's string form of int64
    client.stop_task(cluster="default", task=arn, reason="done by boto3")
    client.get_waiter("tasks_stopped").wait(cluster="default", tasks=[arn], WaiterConfig=FAST)
    stopped = client.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
    assert stopped["stoppedReason"] == "done by boto3"

    svc = client.create_service(
        cluster="default",
        serviceName="boto-web",
        taskDefinition="boto-app:1",
        desiredCount=2,
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 50},
    )["service"]
    assert svc["desiredCount"] == 2 and svc["runningCount"] == 0  # zero counts present, as ECS sends them
    client.register_task_definition(**taskdef("boto-app", busybox_image, "two"))
    client.update_service(cluster="default", service="boto-web", taskDefinition="boto-app:2")
    client.get_waiter("services_stable").wait(
        cluster="default", services=["boto-web"], WaiterConfig={"Delay": 2, "MaxAttempts": 60}
    )
    svc = client.describe_services(cluster="default", services=["boto-web"])["services"][0]
    assert svc["taskDefinition"].endswith("boto-app:2") and svc["runningCount"] == 2
    assert len(svc["deployments"]) == 1

    pages = list(client.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) >= 2
    listed = [a for p in pages for a in p["taskDefinitionArns"]]
    assert [a.rsplit("/", 1)[-1] for a in listed if "boto-app" in a] == ["boto-app:1", "boto-app:2"]
    pages = list(
        client.get_paginator("list_tasks").paginate(
            cluster="default", serviceName="boto-web", PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 2 and sum(len(p["taskArns"]) for p in pages) == 2

    client.update_service(cluster="default", service="boto-web", desiredCount=0)
    client.delete_service(cluster="default", service="boto-web")


def raw_call(ecs: Ecs, action: str, body: bytes) -> tuple[int, dict]:
    """A request signed by botocore's own signer but with a body boto3 would never send."""
    c = ecs.creds["admin"]
    req = AWSRequest(
        method="POST",
        url=ecs.url + "/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + action},
    )
    SigV4Auth(Credentials(c["aws_access_key_id"], c["aws_secret_access_key"]), "ecs", "local").add_auth(req)
    prepared = req.prepare()
    ctx = ssl.create_default_context(cafile=ecs.ca)
    http = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(http, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def code_of(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_every_error_is_the_aws_error(ecs: Ecs, busybox_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ecs.client()
    client.register_task_definition(**taskdef("err-app", busybox_image, "e"))
    ex = client.exceptions
    with pytest.raises(ex.ClientException):
        client.describe_task_definition(taskDefinition="ghost")
    with pytest.raises(ex.InvalidParameterException, match="nextToken"):
        client.list_clusters(nextToken="not-a-token")
    with pytest.raises(ex.ClusterNotFoundException):
        client.list_tasks(cluster="no-such-cluster")
    with pytest.raises(ex.ServiceNotFoundException):
        client.delete_service(cluster="default", service="ghost")
    # A deleted service drains while its task stops (this one takes its time): not ACTIVE, not gone.
    slow = taskdef("slow-stop", busybox_image, "s")
    slow["containerDefinitions"][0].update(command=["sh", "-c", "trap '' TERM; sleep 3600"], stopTimeout=30)
    client.register_task_definition(**slow)
    client.create_service(cluster="default", serviceName="going", taskDefinition="slow-stop", desiredCount=1)
    client.get_waiter("services_stable").wait(cluster="default", services=["going"], WaiterConfig=FAST)
    client.delete_service(cluster="default", service="going", force=True)
    with pytest.raises(ex.ServiceNotActiveException):
        client.update_service(cluster="default", service="going", desiredCount=1)
    with pytest.raises(ex.PlatformUnknownException):
        client.run_task(cluster="default", taskDefinition="err-app", platformVersion="1.4.0")
    with pytest.raises(ex.UnsupportedFeatureException, match="CreateCapacityProvider"):
        client.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": "arn:x"})
    with pytest.raises(ex.AccessDeniedException, match="operator"):
        ecs.client("read-only").run_task(cluster="default", taskDefinition="err-app")
    assert ecs.client("read-only").list_clusters()["clusterArns"]  # it may still look

    # Authentication, refused as AWS refuses it.
    assert code_of(ecs.client(key_id="AKIA" + "Z" * 16).list_clusters) == ("UnrecognizedClientException", 400)
    assert code_of(ecs.client(secret="x" * 40).list_clusters) == ("InvalidSignatureException", 400)
    code = code_of(ecs.client(region="us-east-1").list_clusters)
    assert code == ("InvalidSignatureException", 400)
    real_now = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real_now() - timedelta(minutes=20))
    with pytest.raises(ClientError, match="Signature expired"):
        client.list_clusters()
    monkeypatch.undo()
    ecs.cluster.shoal("auth", "revoke-key", _key_id(ecs, "aws-read-only"))
    assert code_of(ecs.client("read-only").list_clusters)[0] == "UnrecognizedClientException"

    status, body = raw_call(ecs, "ListClusters", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = raw_call(ecs, "ListClusters", b"[1, 2]")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = raw_call(ecs, "RegisterTaskDefinition", b'{"family": "x", "containerDefinitons": []}')
    assert body["__type"] == "InvalidParameterException" and "containerDefinitions" in body["message"]
    assert raw_call(ecs, "ListClusters", b"{}")[0] == 200


def _key_id(ecs: Ecs, name: str) -> str:
    listed = json.loads(ecs.cluster.shoal("auth", "list-keys", "--output", "json").stdout)["keys"]
    return next(k["id"] for k in listed if k["name"] == name)


def test_an_internal_failure_is_a_server_exception() -> None:
    """A bug in an action answers ServerException (HTTP 500), which botocore knows by name."""

    async def broken(action, request):
        raise RuntimeError("boom")

    loop = asyncio.new_event_loop()
    server = EcsHttpServer(EcsEndpoint(broken, keys=None))  # --insecure: no keys, plaintext
    port = free_port()
    loop.run_until_complete(server.start(f"127.0.0.1:{port}", None))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        client = boto3.client(
            "ecs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="local",
            aws_access_key_id="AKIA" + "A" * 16,
            aws_secret_access_key="s" * 40,
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(client.exceptions.ServerException) as info:
            client.list_clusters()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert "boom" not in str(info.value)  # the manager's log has it, not the caller
        client.close()
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_aws_cli_with_a_profile(ecs: Ecs, busybox_image: str, tmp_path: Path) -> None:
    # The CLI reads the section `shoal auth create-key --aws-credentials` printed, under a profile.
    out = ecs.cluster.shoal(
        "auth",
        "create-key",
        "--name",
        "cli",
        "--role",
        "operator",
        "--aws-credentials",
        "--aws-profile",
        "shoal",
        "-q",
    ).stdout
    (tmp_path / "credentials").write_text(out)
    (tmp_path / "config").write_text(f"[profile shoal]\nregion = local\nendpoint_url = {ecs.url}\n")
    env = dict(
        os.environ,
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_PROFILE="shoal",
        AWS_CA_BUNDLE=ecs.ca,
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )

    def aws(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(
            [str(BIN / "aws"), "ecs", *args], capture_output=True, text=True, env=env, timeout=300
        )
        if check and r.returncode != 0:
            raise AssertionError(f"aws ecs {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    (tmp_path / "td.json").write_text(json.dumps(taskdef("cli-app", busybox_image, "cli")))
    rev = aws(
        "register-task-definition",
        "--cli-input-json",
        f"file://{tmp_path / 'td.json'}",
        "--query",
        "taskDefinition.revision",
        "--output",
        "text",
    ).stdout.strip()
    assert rev == "1"
    arn = aws(
        "run-task",
        "--cluster",
        "default",
        "--task-definition",
        "cli-app",
        "--endpoint-url",
        ecs.url,
        "--query",
        "tasks[0].taskArn",
        "--output",
        "text",
    ).stdout.strip()
    assert ":task/default/" in arn
    aws("wait", "tasks-running", "--cluster", "default", "--tasks", arn)
    status = aws(
        "describe-tasks",
        "--cluster",
        "default",
        "--tasks",
        arn,
        "--query",
        "tasks[0].lastStatus",
        "--output",
        "text",
    ).stdout.strip()
    assert status == "RUNNING"
    aws("stop-task", "--cluster", "default", "--task", arn)

    (tmp_path / "svc.json").write_text(
        json.dumps(
            {"cluster": "default", "serviceName": "cli-web", "taskDefinition": "cli-app:1", "desiredCount": 1}
        )
    )
    aws("create-service", "--cli-input-json", f"file://{tmp_path / 'svc.json'}")
    aws("register-task-definition", "--cli-input-json", f"file://{tmp_path / 'td.json'}")
    aws("update-service", "--cluster", "default", "--service", "cli-web", "--task-definition", "cli-app:2")
    aws("wait", "services-stable", "--cluster", "default", "--services", "cli-web")
    got = json.loads(
        aws(
            "describe-services",
            "--cluster",
            "default",
            "--services",
            "cli-web",
            "--query",
            "services[0].{td: taskDefinition, running: runningCount}",
        ).stdout
    )
    assert got["td"].endswith("cli-app:2") and got["running"] == 1
    # The CLI follows nextToken itself: page size 1 makes it call once per task definition.
    listed = json.loads(aws("list-task-definitions", "--family-prefix", "cli-app", "--page-size", "1").stdout)
    assert [a.rsplit("/", 1)[-1] for a in listed["taskDefinitionArns"]] == ["cli-app:1", "cli-app:2"]

    denied = aws("create-cluster", "--cluster-name", "nope", check=False)  # operator: not admin
    assert denied.returncode != 0 and "AccessDeniedException" in denied.stderr

    def aas(*args: str) -> str:
        cmd = [str(BIN / "aws"), "application-autoscaling", *args, "--endpoint-url", ecs.url]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, f"aws application-autoscaling {args[0]} failed: {r.stderr}"
        return r.stdout

    target = ["--service-namespace", "ecs", "--resource-id", "service/default/cli-web"]
    dimension = ["--scalable-dimension", "ecs:service:DesiredCount"]
    aas("register-scalable-target", *target, *dimension, "--min-capacity", "1", "--max-capacity", "2")
    described = aas(
        "describe-scalable-targets",
        "--service-namespace",
        "ecs",
        "--query",
        "ScalableTargets[?ResourceId=='service/default/cli-web'].MaxCapacity",
        "--output",
        "text",
    )
    assert described.strip() == "2"
    aas("deregister-scalable-target", *target, *dimension)
    aws("update-service", "--cluster", "default", "--service", "cli-web", "--desired-count", "0")
    aws("delete-service", "--cluster", "default", "--service", "cli-web")


def test_boto3_application_autoscaling(ecs: Ecs, busybox_image: str) -> None:
    """The real application-autoscaling client scales a service made through boto3's ECS client."""
    client = ecs.client()
    aas = ecs.client(service="application-autoscaling")
    client.register_task_definition(**taskdef("aas-app", busybox_image, "aas"))
    client.create_service(cluster="default", serviceName="aas-web", taskDefinition="aas-app", desiredCount=0)
    rid = "service/default/aas-web"
    dim = {"ServiceNamespace": "ecs", "ResourceId": rid, "ScalableDimension": "ecs:service:DesiredCount"}

    arn = aas.register_scalable_target(**dim, MinCapacity=1, MaxCapacity=3)["ScalableTargetARN"]
    assert arn and "aas-web" in arn
    (target,) = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[rid])["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (rid, 1, 3)
    assert target["CreationTime"].year >= 2024  # epoch seconds, parsed by botocore into a datetime

    policy = aas.put_scaling_policy(
        **dim,
        PolicyName="cpu50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 120,
        },
    )
    assert policy["PolicyARN"].endswith("cpu50")
    (described,) = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=rid)["ScalingPolicies"]
    assert described["PolicyARN"] == policy["PolicyARN"] and described["ResourceId"] == rid
    tt = described["TargetTrackingScalingPolicyConfiguration"]
    assert tt["TargetValue"] == 50.0 and tt["ScaleInCooldown"] == 120

    aas.put_scheduled_action(
        **dim,
        ScheduledActionName="nightly",
        Schedule="cron(0 22 * * ? *)",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 2},
    )
    (action,) = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=rid)["ScheduledActions"]
    assert action["ScheduledActionName"] == "nightly" and action["ScalableTargetAction"]["MaxCapacity"] == 2

    # MinCapacity 1 above desiredCount 0: the scaler raises the service, and says so as an activity.
    activities: list = []
    for _ in range(60):
        activities = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)[
            "ScalingActivities"
        ]
        if activities:
            break
        time.sleep(0.5)
    assert activities and activities[0]["ResourceId"] == rid, activities
    assert activities[0]["StartTime"].year >= 2024
    # boto3's paginator follows NextToken: pages of one read what one call reads. A second activity:
    # MinCapacity raised again.
    aas.register_scalable_target(**dim, MinCapacity=2, MaxCapacity=3)
    every = {"ServiceNamespace": "ecs", "ResourceId": rid, "IncludeNotScaledActivities": True}
    for _ in range(120):
        whole = aas.describe_scaling_activities(**every)["ScalingActivities"]
        if len(whole) >= 2:
            break
        time.sleep(0.5)
    assert len(whole) >= 2, whole
    pages = list(
        aas.get_paginator("describe_scaling_activities").paginate(**every, PaginationConfig={"PageSize": 1})
    )
    paged = [a["ActivityId"] for p in pages for a in p["ScalingActivities"]]
    ids = [a["ActivityId"] for a in whole]
    assert len(pages) >= 2 and len(set(paged)) == len(paged), paged  # no repeat
    assert [i for i in paged if i in ids] == ids, (paged, ids)  # no gap (newer ones may come first)

    # A key of its own: test_every_error_is_the_aws_error revokes the fixture's read-only key.
    out = ecs.cluster.shoal(
        "auth", "create-key", "--name", "aas-ro", "--role", "read-only", "--aws-credentials"
    )
    ro_creds = configparser.ConfigParser()
    ro_creds.read_string(out.stdout)
    section = ro_creds["aas-ro"]
    ro = ecs.client(
        service="application-autoscaling",
        key_id=section["aws_access_key_id"],
        secret=section["aws_secret_access_key"],
    )
    assert ro.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert code_of(ro.delete_scaling_policy, **dim, PolicyName="cpu50") == ("AccessDeniedException", 400)

    aas.delete_scheduled_action(**dim, ScheduledActionName="nightly")
    aas.delete_scaling_policy(**dim, PolicyName="cpu50")
    assert aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=rid)["ScalingPolicies"] == []
    assert code_of(aas.delete_scaling_policy, **dim, PolicyName="cpu50") == ("ObjectNotFoundException", 400)
    aas.deregister_scalable_target(**dim)
    assert aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[rid])["ScalableTargets"] == []

    bad = {**dim, "ResourceId": "service/default"}
    with pytest.raises(ClientError) as info:
        aas.register_scalable_target(**bad, MinCapacity=1, MaxCapacity=2)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "ResourceId" in info.value.response["Error"]["Message"]
    assert code_of(aas.describe_scalable_targets, ServiceNamespace="dynamodb") == ("ValidationException", 400)
    missing = {**dim, "ResourceId": "service/default/no-such"}
    assert code_of(aas.register_scalable_target, **missing, MinCapacity=0, MaxCapacity=1)[0] == (
        "ObjectNotFoundException"
    )
    client.update_service(cluster="default", service="aas-web", desiredCount=0)
    client.delete_service(cluster="default", service="aas-web")
