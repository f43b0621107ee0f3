"""An engine that stops answering before its event stream ends, as dockerd does when it shuts down (it
removes its socket seconds before it closes the streams): the real Docker adapter and worker, with the
machine's engine behind a socket the test can shut."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
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

ENGINE = "/var/run/docker.sock"


class EngineDoor:
    """A unix socket that forwards to the machine's engine. `shut()` does what a stopping dockerd does:
    the socket goes away and calls fail, while the event streams already open stay open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._server: socket.socket | None = None
        self._calls: list[socket.socket] = []  # client ends of connections that are not event streams
        self._lock = threading.Lock()
        self.open()

    def open(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def shut(self) -> None:
        assert self._server is not None
        self._server.close()
        self.path.unlink()
        with self._lock:
            for conn in self._calls:  # pooled keep-alive connections die with the engine's listener
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._calls.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(ENGINE)
        first = conn.recv(65536)
        if b"/events" not in first.split(b"\r\n", 1)[0]:  # the request line
            with self._lock:
                self._calls.append(conn)
        up.sendall(first)
        threading.Thread(target=_pump, args=(up, conn), daemon=True).start()
        _pump(conn, up)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def door(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client) -> Iterator[EngineDoor]:
    if not os.path.exists(ENGINE):
        pytest.fail(f"{ENGINE} is missing: the machine's dockerd must run (see .ci/run)", pytrace=False)
    d = EngineDoor(tmp_path / "engine.sock")
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
    door: EngineDoor,
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

            door.shut()
            w.handle_desired(agent_pb2.DesiredTasks(tasks=[first, second], full=True))
            await _until(lambda: w.tasks[second.task.task_arn].status == "STOPPED", "the second to fail")
            (why,) = [c.reason for c in w.tasks[second.task.task_arn].containers.values()]
            assert ENGINE_UNREACHABLE in why, why
            assert w.runtime_impaired and w.runtime_changed, "the failed call did not impair the instance"
            assert "docker event stream" not in caplog.text, "the stream broke: this is not what is tested"
            assert w.tasks[first.task.task_arn].status == "RUNNING"

            door.open()
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


def test_an_agent_started_before_its_engine_waits_for_it(door: EngineDoor, tmp_path: Path) -> None:
    """A VM that boots the agent before Docker (or a dockerd restarting): the agent waits, saying so,
    and carries on once the engine answers; it used to exit."""
    door.shut()
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
        door.open()
        # Past the engine: it now tries to reach the (absent) manager.
        assert said("session to 127.0.0.1:9", 30), "".join(lines)
        assert agent.poll() is None and "Traceback" not in "".join(lines), "".join(lines)
    finally:
        agent.terminate()
        agent.wait(20)
