"""Every list command of the real `shoal` CLI pages through a real manager: all results by default,
`--max-items` stops with a NextToken, `--starting-token` resumes with no duplicate and no gap; Describe
calls of more arguments than one API call takes are cut into several."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal.v1 import api_pb2, ecs_pb2
from tests.conftest import BIN, LocalCluster, Proc, wait_for

PAGE = "2"  # results per API call: every listing below takes several calls
STEP = 3  # --max-items: neither a multiple of the page size nor of the totals


def check_paging(c: LocalCluster, args: tuple[str, ...], field: str, expected: int) -> list:
    """The listing read whole, then in pieces of STEP resumed with each NextToken."""
    whole = c.json(*args, "--page-size", PAGE)
    listed = whole[field]
    assert len(listed) == expected, (args, listed)
    assert not whole.get("nextToken"), whole
    pieces: list = []
    token = ""
    while True:
        more = ("--starting-token", token) if token else ()
        part = c.json(*args, "--page-size", PAGE, "--max-items", str(STEP), *more)
        assert len(part[field]) <= STEP
        pieces += part[field]
        token = part.get("nextToken", "")
        if not token:
            break
        assert len(part[field]) == STEP  # a NextToken only when something was left out
    assert pieces == listed, args  # no duplicates, no gaps, the same order
    return listed


@pytest.mark.e2e
def test_every_list_command_pages_and_resumes(tmp_path: Path, docker_client) -> None:
    c = LocalCluster(tmp_path, docker_client)
    c.start_manager()
    sim = Proc(
        [
            str(BIN / "shoal-agent"), "simulate", "--manager", c.endpoint,
            "--data-dir", str(tmp_path / "sim"), "--instances", "5", "--token", c.join_token(),
        ],
        tmp_path / "sim.log",
    )  # fmt: skip
    try:
        sim.start()
        api = c.api
        for n in range(4):
            api.CreateCluster(api_pb2.CreateClusterRequest(cluster_name=f"pg-{n}"), timeout=10)
        for family in ("pa", "pb", "pc"):
            for _ in range(2):
                td = ecs_pb2.TaskDefinition(
                    family=family,
                    container_definitions=[ecs_pb2.ContainerDefinition(name="app", image="sim", memory=16)],
                )
                api.RegisterTaskDefinition(
                    api_pb2.RegisterTaskDefinitionRequest(task_definition=td), timeout=10
                )
        services = [f"svc-{n:02d}" for n in range(12)]  # more than DescribeServices takes (10)
        for name in services:
            api.CreateService(
                api_pb2.CreateServiceRequest(service_name=name, task_definition="pa", desired_count=0),
                timeout=10,
            )
        wait_for(lambda: "5/5 connected" in sim.log(), 120, "the simulated instances")

        clusters = check_paging(c, ("cluster", "list"), "clusterArns", 5)
        assert {a.rsplit("/", 1)[-1] for a in clusters} == {"default", "pg-0", "pg-1", "pg-2", "pg-3"}
        revisions = check_paging(c, ("task-definition", "list"), "taskDefinitionArns", 6)
        assert {a.rsplit("/", 1)[-1] for a in revisions} == {
            f"{f}:{r}" for f in ("pa", "pb", "pc") for r in (1, 2)
        }
        assert check_paging(c, ("task-definition", "families"), "families", 3) == ["pa", "pb", "pc"]
        listed = check_paging(c, ("service", "list"), "serviceArns", 12)
        assert sorted(a.rsplit("/", 1)[-1] for a in listed) == services
        assert c.json("service", "list")["serviceArns"] == listed  # pages of the default size read the same
        instances = check_paging(c, ("instance", "list"), "containerInstanceArns", 5)

        racks_put = [
            ecs_pb2.Attribute(name="rack", value=f"r{n}", target_type="container-instance", target_id=arn)
            for n, arn in enumerate(instances)
        ]
        api.PutAttributes(api_pb2.PutAttributesRequest(attributes=racks_put), timeout=10)
        racks = check_paging(c, ("attribute", "list", "--name", "rack"), "attributes", 5)
        assert sorted(a["value"] for a in racks) == [f"r{n}" for n in range(5)]

        ran = api.RunTask(api_pb2.RunTaskRequest(task_definition="pb", count=7), timeout=10)
        assert len(ran.tasks) == 7, ran.failures
        tasks = check_paging(c, ("task", "list"), "taskArns", 7)
        assert sorted(tasks) == sorted(t.task_arn for t in ran.tasks)

        # Table output: the results on stdout, the NextToken on stderr (as instance and task list print it).
        r = c.shoal("service", "list", "--page-size", PAGE, "--max-items", str(STEP))
        assert r.stdout.splitlines() == listed[:STEP]
        assert r.stderr.startswith("NextToken: ")
        resumed = c.shoal("service", "list", "--starting-token", r.stderr.split()[1])
        assert resumed.stdout.splitlines() == listed[STEP:] and not resumed.stderr

        # Twelve services described and waited for: the CLI calls DescribeServices 10 at a time.
        described = c.json("service", "describe", *services)
        assert sorted(s["serviceName"] for s in described["services"]) == services
        assert described["failures"] == []
        c.shoal("wait", "services-stable", *services, "--timeout", "60")

        bad = c.shoal("cluster", "list", "--starting-token", "not-a-token", check=False)
        assert bad.returncode == 1 and "startingToken" in bad.stderr and "INVALID_ARGUMENT" in bad.stderr
    finally:
        sim.stop()
        c.close()
