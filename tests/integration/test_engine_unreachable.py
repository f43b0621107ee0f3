"""An engine that stops answering before its event stream ends, as dockerd does when it shuts down (it
removes its socket seconds before it closes the streams): the real Docker adapter and worker, with the
machine's engine behind a socket the test can shut."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format

from shoal.agent import engine
from shoal.agent.runtime.docker import DockerRuntime
from shoal.agent.statefile import StateFile
from shoal.agent.worker import TaskWorker
from shoal.core.labels import LABEL_INSTANCE_ID
from shoal.core.tasks import ENGINE_UNREACHABLE
from shoal.v1 import agent_pb2, ecs_pb2
from tests.engine_relay import ENGINE, EngineRelay


@pytest.fixture
def door(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client) -> Iterator[EngineRelay]:
    if not os.path.exists(ENGINE):
        pytest.fail(f"{ENGINE} is missing: the machine's dockerd must run (see .ci/run)", pytrace=False)
    d = EngineRelay(tmp_path / "engine.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{d.path}")
    yield d


def _task(image: str) -> agent_pb2.AgentTask:
    td = json_format.ParseDict(
        {
            "family": "door",
            "containerDefinitions": [
                {"name": "app", "image": image, "memory": 32, "command": ["sleep", "300"]}
            ],
        },
        ecs_pb2.TaskDefinition(),
    )
    arn = f"arn:shoal:ecs:local:000000000000:task/itest/{secrets.token_hex(16)}"
    return agent_pb2.AgentTask(
        task=ecs_pb2.Task(task_arn=arn, desired_status="RUNNING", last_status="PENDING", version=1),
        task_definition=td,
    )


async def _until(predicate, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_a_call_that_finds_the_engine_gone_impairs_the_instance_before_its_stream_ends(
    door: EngineRelay,
    busybox_image: str,
    docker_client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(engine, "ENGINE_PROBE_SECONDS", 0.2)
    instance = f"i-{secrets.token_hex(6)}"
    caplog.set_level(logging.INFO)

    async def main() -> None:
        rt = DockerRuntime(instance, "itest", "127.0.0.1")
        w = TaskWorker(rt, StateFile(tmp_path / "agent"), "prefer-cached")
        await w.start()
        w.set_instance(instance)
        first, second, third = _task(busybox_image), _task(busybox_image), _task(busybox_image)
        try:
            w.handle_desired(agent_pb2.DesiredTasks(tasks=[first], full=True))
            await _until(lambda: w.tasks[first.task.task_arn].status == "RUNNING", "the first task to run")
            assert not w.runtime_impaired

            door.down(keep_streams=True)
            w.handle_desired(agent_pb2.DesiredTasks(tasks=[first, second], full=True))
            await _until(lambda: w.tasks[second.task.task_arn].status == "STOPPED", "the second to fail")
            (why,) = [c.reason for c in w.tasks[second.task.task_arn].containers.values()]
            assert ENGINE_UNREACHABLE in why, why
            assert w.runtime_impaired and w.runtime_changed, "the failed call did not impair the instance"
            assert "docker event stream" not in caplog.text, "the stream broke: this is not what is tested"
            assert w.tasks[first.task.task_arn].status == "RUNNING"

            door.up()
            await _until(lambda: not w.runtime_impaired, "the probe to find the engine back")
            w.handle_desired(agent_pb2.DesiredTasks(tasks=[first, third], full=True))
            await _until(lambda: w.tasks[third.task.task_arn].status == "RUNNING", "the third task to run")
        finally:
            w.stop_events()
            for c in docker_client.containers.list(
                all=True, filters={"label": f"{LABEL_INSTANCE_ID}={instance}"}
            ):
                c.remove(force=True)

    asyncio.run(asyncio.wait_for(main(), 120))


def test_an_agent_started_before_its_engine_waits_for_it(door: EngineRelay, tmp_path: Path) -> None:
    """A VM that boots the agent before Docker (or a dockerd restarting): the agent waits, saying so,
    and carries on once the engine answers; it used to exit."""
    door.down(keep_streams=True)
    agent = subprocess.Popen(
        [sys.executable, "-m", "shoal.agent.main", "--insecure", "--manager", "127.0.0.1:9",
         "--data-dir", str(tmp_path / "agent")],
        stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(agent.stderr or []), daemon=True).start()

    def said(text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in lines):
                return True
            time.sleep(0.1)
        return False

    try:
        assert said("the Docker Engine is not answering", 20), "".join(lines)
        time.sleep(3)
        assert agent.poll() is None, "the agent exited: " + "".join(lines)
        door.up()
        # Past the engine: it now tries to reach the (absent) manager.
        assert said("session to 127.0.0.1:9", 30), "".join(lines)
        assert agent.poll() is None and "Traceback" not in "".join(lines), "".join(lines)
    finally:
        agent.terminate()
        agent.wait(20)
