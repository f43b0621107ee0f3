"""An agent session that stops reading cannot make the manager's memory grow: past the bound
(--agent-session-buffer-mib) its session ends with a log line saying why, the agent's next session
starts with its full task set, and an agent that reads is not affected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shoal.v1 import api_pb2, ecs_pb2
from tests.conftest import BIN, LocalCluster, Proc, wait_for
from tests.e2e.rawagent import RawAgent, registration


@pytest.mark.e2e
def test_a_session_that_does_not_read_is_ended_and_others_go_on(tmp_path: Path, docker_client) -> None:
    c = LocalCluster(tmp_path, docker_client, "--agent-session-buffer-mib", "1")
    c.start_manager()
    normal = Proc(
        [
            str(BIN / "shoal-agent"), "simulate", "--manager", c.endpoint,
            "--data-dir", str(tmp_path / "sim"), "--instances", "1", "--attribute", "role=normal",
            "--token", c.join_token(),
        ],
        tmp_path / "sim.log",
    )  # fmt: skip
    stuck = RawAgent(c, tmp_path / "stuck")
    stream = None
    try:
        normal.start()
        stream = stuck.session(registration("stuck"))
        first = next(stream)  # registered; from now on this agent reads nothing
        iid = first.registered.instance_id
        assert iid, first
        wait_for(lambda: "1/1 connected" in normal.log(), 60, "the normal agent")

        api = c.api
        # 40 kB per task in what the agent is sent: 30 of them are more than 1 MiB.
        env = [ecs_pb2.KeyValuePair(name=f"V{n}", value="x" * 1000) for n in range(40)]
        td = ecs_pb2.TaskDefinition(
            family="big",
            container_definitions=[
                ecs_pb2.ContainerDefinition(name="app", image="sim", memory=6, environment=env)
            ],
        )
        api.RegisterTaskDefinition(api_pb2.RegisterTaskDefinitionRequest(task_definition=td), timeout=10)
        on_stuck = [ecs_pb2.PlacementConstraint(type="memberOf", expression="attribute:role == stuck")]
        ended = re.compile(
            rf"agent {iid} does not keep up with its session \((\d+\.\d) MiB waiting to be sent, over the "
            r"1 MiB limit\): session ended"
        )
        placed: list[str] = []
        while not ended.search(c.manager.log()):  # one RunTask after another until the session is ended
            ran = api.RunTask(
                api_pb2.RunTaskRequest(task_definition="big", count=10, placement_constraints=on_stuck),
                timeout=10,
            )
            placed += [t.task_arn for t in ran.tasks]
            if not ran.tasks:  # the instance is disconnected already: its log line is on its way
                wait_for(lambda: ended.search(c.manager.log()), 30, "the stuck session to be ended")
            assert len(placed) <= 60
        found = ended.search(c.manager.log())
        assert found is not None
        # The bound, and at most the one change that crossed it (10 tasks of 40 kB, from one RunTask).
        assert 1.0 <= float(found.group(1)) <= 1.5

        def connected(ref: str) -> bool:
            inst = api.DescribeContainerInstances(
                api_pb2.DescribeContainerInstancesRequest(container_instances=[ref]), timeout=10
            ).container_instances[0]
            return inst.agent_connected

        wait_for(lambda: not connected(iid), 30, "the stuck instance to be disconnected")

        # The normal agent was never touched, and its tasks still run.
        normal_iid = re.search(
            r"agent (i-\w+) connected", c.manager.log().replace(f"agent {iid} connected", "")
        )
        assert normal_iid and connected(normal_iid.group(1))
        on_normal = [ecs_pb2.PlacementConstraint(type="memberOf", expression="attribute:role == normal")]
        arn = (
            api.RunTask(
                api_pb2.RunTaskRequest(task_definition="big", placement_constraints=on_normal), timeout=10
            )
            .tasks[0]
            .task_arn
        )

        def running() -> bool:
            t = api.DescribeTasks(api_pb2.DescribeTasksRequest(tasks=[arn]), timeout=10).tasks[0]
            return t.last_status == "RUNNING"

        wait_for(running, 30, "the normal agent's task to run")
        assert "does not keep up" not in c.manager.log().replace(f"agent {iid} does not keep up", "")

        # The stuck agent, reading again in a new session, gets everything it missed in one full set.
        stuck.stop.set()
        stream.cancel()
        stuck.stop.clear()
        stream = stuck.session(registration("stuck"))
        assert next(stream).registered.instance_id == iid
        full = next(stream)
        assert full.desired.full
        assert sorted(t.task.task_arn for t in full.desired.tasks) == sorted(placed)
        assert connected(iid)
    finally:
        stuck.stop.set()
        if stream is not None:
            stream.cancel()
        normal.stop()
        c.close()
