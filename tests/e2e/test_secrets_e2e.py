"""Secrets end to end: ECS task definitions with `secrets` run with the values injected, and the
values are found nowhere else in clear text (Describe output, etcd's files, the agent's files)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE, LocalCluster, wait_for

SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/"
PLAIN = "s3cr3t-Plain-7f1c9e"
JSON_PASSWORD = "pw-Json-3b8d2a"
PARAM = "param-Value-a61e04"


@pytest.fixture
def cluster(local_cluster: LocalCluster) -> LocalCluster:
    local_cluster.add_agent("a", "az-1")
    local_cluster.wait_connected(1)
    return local_cluster


def register(c: LocalCluster, tmp_path: Path, family: str, secrets: list[dict]) -> str:
    td = {
        "family": family,
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "memory": 32,
                "command": ["sh", "-c", "echo PLAIN=$PLAIN JSONPW=$JSONPW PARAM=$PARAM; sleep 300"],
                "secrets": secrets,
            }
        ],
    }
    path = tmp_path / f"{family}.json"
    path.write_text(json.dumps(td))
    out = c.json("task-definition", "register", "--cli-input-json", f"file://{path}")
    return out["taskDefinition"]["taskDefinitionArn"]


def run(c: LocalCluster, family: str) -> dict:
    [task] = c.json("task", "run", "--task-definition", family)["tasks"]
    return task


def output_of(c: LocalCluster, task_arn: str) -> str:
    def logs() -> str:
        containers = c.containers_of(task_arn)
        return containers[0].logs().decode() if containers else ""

    return wait_for(lambda: (text := logs()) and "PLAIN=" in text and text, 60, "the container's output")


def test_secrets_are_injected_as_ecs_names_them_and_found_nowhere_else(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    c = cluster
    c.shoal(
        "secret",
        "put",
        "db-password",
        "--value",
        PLAIN,
        "--description",
        "plain one",
        "--allowed-cluster",
        "default",
    )
    (tmp_path / "creds.json").write_text(json.dumps({"username": "app", "password": JSON_PASSWORD}))
    c.shoal(
        "secret", "put", "app/creds", "--value-file", str(tmp_path / "creds.json"), "--allowed-cluster", "*"
    )
    r = c.shoal(
        "secret", "put", "prod/param", "--from-stdin", "--allowed-cluster", "default", input=PARAM + "\n"
    )
    assert "version" in r.stdout
    register(
        c,
        tmp_path,
        "with-secrets",
        [
            {"name": "PLAIN", "valueFrom": "db-password"},
            # Secrets Manager ARN with its random suffix and a JSON key, as ECS writes them.
            {"name": "JSONPW", "valueFrom": SM + "app/creds-AbC123:password::"},
            {"name": "PARAM", "valueFrom": SSM + "prod/param"},
        ],
    )
    task = run(c, "with-secrets")
    c.shoal("task", "wait", "running", task["taskArn"], "--timeout", "60")
    assert f"PLAIN={PLAIN} JSONPW={JSON_PASSWORD} PARAM={PARAM}" in output_of(c, task["taskArn"])

    # In clear text nowhere else: no Describe output, no listing, no log, no file of etcd or the agent.
    texts = [
        c.shoal("task", "describe", task["taskArn"], "--output", "json").stdout,
        c.shoal("task-definition", "describe", "with-secrets", "--output", "json").stdout,
        c.shoal("secret", "list", "--output", "json").stdout,
        c.shoal("secret", "get-metadata", "db-password", "--output", "json").stdout,
        c.manager.log(),
        c.agents["a"].log(),
    ]
    for value in (PLAIN, JSON_PASSWORD, PARAM):
        assert all(value not in t for t in texts), value
        for root in (c.root / "manager" / "etcd" / "data", c.root / "a"):
            found = subprocess.run(
                ["grep", "-r", "-l", "-a", value, str(root)], capture_output=True, text=True
            )
            assert found.stdout == "", f"{value} in clear text in {found.stdout}"
    # Nor is any private key (the cluster CA's) in etcd's data (its own TLS keys sit beside it).
    pem = subprocess.run(
        ["grep", "-r", "-l", "-a", "PRIVATE KEY", str(c.root / "manager" / "etcd" / "data")],
        capture_output=True,
        text=True,
    )
    assert pem.stdout == "", f"a private key in clear text in {pem.stdout}"
    # Only an explicit admin read shows a value, and the manager logs the read, not the value.
    assert c.shoal("secret", "get-value", "db-password").stdout.strip() == PLAIN
    assert "secret db-password (version" in c.manager.log() and PLAIN not in c.manager.log()
    c.shoal("task", "stop", task["taskArn"])


def test_an_updated_secret_reaches_new_tasks(cluster: LocalCluster, tmp_path: Path) -> None:
    c = cluster
    c.shoal("secret", "put", "rotating", "--value", "first-1a2b", "--allowed-cluster", "default")
    register(c, tmp_path, "rot", [{"name": "PLAIN", "valueFrom": "rotating"}])
    t1 = run(c, "rot")
    assert "PLAIN=first-1a2b" in output_of(c, t1["taskArn"])
    c.shoal("secret", "put", "rotating", "--value", "second-3c4d")
    t2 = run(c, "rot")
    assert "PLAIN=second-3c4d" in output_of(c, t2["taskArn"])
    meta = c.json("secret", "get-metadata", "rotating")["secret"]
    assert [v["stages"] for v in meta["versions"]] == [["AWSCURRENT"], ["AWSPREVIOUS"]]
    # The previous version stays reachable by stage, as ECS's :version-stage suffix asks for it.
    register(c, tmp_path, "prev", [{"name": "PLAIN", "valueFrom": SM + "rotating::AWSPREVIOUS:"}])
    t3 = run(c, "prev")
    assert "PLAIN=first-1a2b" in output_of(c, t3["taskArn"])
    for t in (t1, t2, t3):
        c.shoal("task", "stop", t["taskArn"])


def test_log_configuration_secret_options_become_log_driver_options(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    c = cluster
    c.shoal("secret", "put", "log-tag", "--value", "tag-from-secret-5e", "--allowed-cluster", "default")
    path = tmp_path / "logs.json"
    path.write_text(
        json.dumps(
            {
                "family": "logsec",
                "containerDefinitions": [
                    {
                        "name": "app",
                        "image": TEST_IMAGE,
                        "memory": 32,
                        "command": ["sleep", "300"],
                        "logConfiguration": {
                            "logDriver": "json-file",
                            "options": {"max-size": "1m"},
                            "secretOptions": [{"name": "tag", "valueFrom": SSM + "log-tag"}],
                        },
                    }
                ],
            }
        )
    )
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{path}")
    task = run(c, "logsec")
    c.shoal("task", "wait", "running", task["taskArn"], "--timeout", "60")
    [container] = c.containers_of(task["taskArn"])
    config = container.attrs["HostConfig"]["LogConfig"]
    assert config["Type"] == "json-file"
    assert config["Config"] == {"max-size": "1m", "tag": "tag-from-secret-5e"}
    described = c.shoal("task-definition", "describe", "logsec", "--output", "json").stdout
    assert "tag-from-secret-5e" not in described and "log-tag" in described
    c.shoal("task", "stop", task["taskArn"])


def test_a_missing_secret_stops_the_task_before_any_container_starts(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    c = cluster
    register(c, tmp_path, "missing", [{"name": "PLAIN", "valueFrom": SM + "nope-XyZ123"}])
    task = run(c, "missing")
    stopped = wait_for(
        lambda: (t := c.describe_task(task["taskArn"]))["lastStatus"] == "STOPPED" and t,
        60,
        "the task to stop",
    )
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith("ResourceInitializationError: unable to retrieve secret PLAIN")
    assert "'nope-XyZ123' not found" in stopped["stoppedReason"]
    assert c.containers_of(task["taskArn"]) == []


def test_a_secret_reaches_only_the_clusters_it_is_allowed_to(cluster: LocalCluster, tmp_path: Path) -> None:
    c = cluster
    refused = c.shoal("secret", "put", "unscoped", "--value", "x-9f", check=False)
    assert refused.returncode == 1 and "allowedClusters: name the clusters" in refused.stderr
    c.shoal("secret", "put", "prod-only", "--value", "prod-Value-77", "--allowed-cluster", "prod")
    register(c, tmp_path, "steal", [{"name": "PLAIN", "valueFrom": "prod-only"}])
    task = run(c, "steal")  # in cluster default, where the secret is not allowed
    stopped = wait_for(
        lambda: (t := c.describe_task(task["taskArn"]))["lastStatus"] == "STOPPED" and t, 60, "the refusal"
    )
    assert "is not allowed to tasks of cluster 'default' (allowed: prod)" in stopped["stoppedReason"]
    assert c.containers_of(task["taskArn"]) == []
    # An update without --allowed-cluster keeps the list; the value changes.
    c.shoal("secret", "put", "prod-only", "--value", "prod-Value-78")
    assert c.json("secret", "get-metadata", "prod-only")["secret"]["allowedClusters"] == ["prod"]


def test_a_bad_value_from_is_refused_at_registration(cluster: LocalCluster, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "family": "bad",
                "containerDefinitions": [
                    {
                        "name": "app",
                        "image": TEST_IMAGE,
                        "memory": 32,
                        "secrets": [{"name": "X", "valueFrom": "arn:aws:s3:::bucket/key"}],
                    }
                ],
            }
        )
    )
    r = cluster.shoal("task-definition", "register", "--cli-input-json", f"file://{path}", check=False)
    assert r.returncode == 1
    assert "containerDefinitions[0].secrets[0].valueFrom" in r.stderr and "INVALID_ARGUMENT" in r.stderr


def test_secrets_need_an_admin_key(cluster: LocalCluster) -> None:
    c = cluster
    operator = c.shoal("auth", "create-key", "--name", "deployer", "--role", "operator", "-q").stdout.strip()
    r = subprocess.run(
        [str(Path(c.manager.args[0]).parent / "shoal"), "secret", "list"],
        capture_output=True,
        text=True,
        env={**_env(c), "SHOAL_API_KEY": operator},
    )
    assert r.returncode == 1
    assert (
        r.stderr.strip()
        == "error: ListSecrets needs the admin role; key 'deployer' is operator (PERMISSION_DENIED)"
    )


def _env(c: LocalCluster) -> dict[str, str]:
    import os

    return dict(os.environ, SHOAL_ENDPOINT=c.endpoint, SHOAL_CA_FILE=str(c.ca_file))
