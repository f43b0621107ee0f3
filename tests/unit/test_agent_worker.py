"""The agent's I/O shell (TaskWorker) on an in-memory container runtime: the test is about the worker."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests
from google.protobuf import json_format

from shoal.agent import engine
from shoal.agent.containers import Binding, ContainerEvent, ContainerState, RuntimeFailure
from shoal.agent.policy import HostPolicy
from shoal.agent.runtime.base import ContainerRuntime
from shoal.agent.statefile import StateFile
from shoal.agent.worker import START_CONCURRENCY, TaskWorker
from shoal.core.tasks import ENGINE_UNREACHABLE
from shoal.v1 import agent_pb2, ecs_pb2

PREFIX = "arn:shoal:ecs:local:000000000000:task/default/"


class MemoryRuntime:
    """Containers as dicts; events delivered synchronously, as the engine would after each call."""

    def __init__(self) -> None:
        self.instance_id = ""
        self.containers: dict[str, dict[str, Any]] = {}
        self.missing_images: set[str] = set()
        self.calls: list[tuple] = []
        self.released: list[Binding] = []
        self.removed_volumes: list[str] = []
        self.delay = 0.0  # seconds each create/start takes
        self.engine_down = False  # every call fails as a stopped dockerd's would
        self.busy = 0
        self.max_busy = 0
        self._ids = itertools.count(1)
        self._ports = itertools.count(49153)
        self._deliver: Callable[[ContainerEvent], None] | None = None
        self._lock = threading.Lock()

    # -- ContainerRuntime ------------------------------------------------------------------------------
    def version(self) -> str:
        self.calls.append(("version",))
        if self.engine_down:
            raise ConnectionError("connection refused")
        return "memory"

    def set_instance(self, instance_id: str) -> None:
        self.instance_id = instance_id

    def ensure_image(self, image: str, policy: str = "default") -> None:
        self.calls.append(("pull", image, policy))
        if image in self.missing_images:
            raise RuntimeFailure(f"CannotPullContainerError: pull image {image}: not found")

    def create(
        self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition, c: ecs_pb2.ContainerDefinition
    ) -> tuple[str, list[Binding]]:
        if self.engine_down:
            raise RuntimeFailure(f"CannotCreateContainerError: {ENGINE_UNREACHABLE} (connection refused)")
        self._busy()
        cid = f"ctr-{next(self._ids)}"
        bindings = [("127.0.0.1", pm.container_port, next(self._ports), "tcp") for pm in c.port_mappings]
        self.containers[cid] = {
            "task": task.task_arn,
            "name": c.name,
            "running": False,
            "exit": None,
            "bindings": bindings,
            "command": list(c.command),
        }
        self.calls.append(("create", c.name))
        return cid, bindings

    def start(self, container_id: str) -> None:
        self._busy()
        c = self.containers[container_id]
        c["running"] = True
        self.calls.append(("start", c["name"]))
        if c["command"][:1] == ["exit"]:  # a container that ends at once
            self._die(container_id, int(c["command"][1]))

    def stop(self, container_id: str, timeout: int) -> None:
        c = self.containers.get(container_id)
        self.calls.append(("stop", c["name"] if c else container_id, timeout))
        if c is not None and c["running"]:
            self._die(container_id, 143)

    def inspect(self, container_id: str) -> ContainerState | None:
        c = self.containers.get(container_id)
        if c is None:
            return None
        return ContainerState(
            container_id, c["task"], c["name"], c["running"], c["exit"], False, "UNKNOWN", list(c["bindings"])
        )

    def remove(self, container_id: str) -> None:
        self.calls.append(("remove", container_id))
        self.containers.pop(container_id, None)

    def container_usage(self, container_ids: list[str]) -> dict[str, tuple[float, float]]:
        return {}  # this fake's containers use nothing

    def remove_task_volumes(self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition) -> None:
        self.removed_volumes.append(task.task_arn)

    def release_ports(self, bindings: list[Binding]) -> None:
        self.released.extend(bindings)

    def list_task_containers(self) -> list[ContainerState]:
        self.calls.append(("list",))
        if self.engine_down:
            raise ConnectionError("connection refused")
        return [s for s in (self.inspect(cid) for cid in list(self.containers)) if s is not None]

    def watch_events(
        self, deliver: Callable[[ContainerEvent], None], connected: threading.Event
    ) -> Callable[[], None]:
        self.calls.append(("watch",))
        self._deliver = deliver
        connected.set()
        return lambda: None

    # -- test controls ---------------------------------------------------------------------------------
    def _busy(self) -> None:
        if not self.delay:
            return
        with self._lock:
            self.busy += 1
            self.max_busy = max(self.max_busy, self.busy)
        time.sleep(self.delay)
        with self._lock:
            self.busy -= 1

    def _die(self, container_id: str, code: int) -> None:
        c = self.containers[container_id]
        c["running"], c["exit"] = False, code
        if self._deliver is not None:
            self._deliver(ContainerEvent("die", container_id, c["task"], c["name"], code, ""))

    def kill(self, task_arn: str, name: str, code: int = 137) -> None:
        """The container dies on its own."""
        self._die(self.id_of(task_arn, name), code)

    def id_of(self, task_arn: str, name: str) -> str:
        return next(cid for cid, c in self.containers.items() if c["task"] == task_arn and c["name"] == name)


class CountingStateFile(StateFile):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.writes = 0

    def save(self, *args: Any) -> None:
        self.writes += 1
        super().save(*args)


def agent_task(
    arn: str, containers: list[dict[str, Any]], *, desired: str = "RUNNING", **td: Any
) -> agent_pb2.AgentTask:
    definition = json_format.ParseDict(
        {"family": "app", "containerDefinitions": containers, **td}, ecs_pb2.TaskDefinition()
    )
    return agent_pb2.AgentTask(
        task=ecs_pb2.Task(task_arn=PREFIX + arn, desired_status=desired, last_status="PENDING", version=1),
        task_definition=definition,
    )


def web(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": "img", "memory": 32, "command": ["serve"], **fields}


SIDECAR = {"name": "sidecar", "image": "img", "memory": 32, "essential": False, "stopTimeout": 3}


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 20))


async def started_worker(runtime: MemoryRuntime, data_dir: Path) -> TaskWorker:
    worker = TaskWorker(runtime, CountingStateFile(data_dir), "once")
    await worker.start()
    worker.set_instance("i-1")
    return worker


async def until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def reports(worker: TaskWorker) -> dict[str, agent_pb2.TaskStateChange]:
    return {r.task_arn: r for r in worker.take_reports()}


def status(worker: TaskWorker, arn: str) -> str:
    return worker.tasks[PREFIX + arn].status


def test_the_memory_runtime_is_a_container_runtime() -> None:
    runtime: ContainerRuntime = MemoryRuntime()  # checked by the type checker; here: it has every method
    for name in ContainerRuntime.__dict__:
        if not name.startswith("_"):
            assert callable(getattr(runtime, name)), name


def test_runs_a_task_in_start_order_and_reports_it_running(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task(
            "t1",
            [
                web(
                    portMappings=[{"containerPort": 80}],
                    dependsOn=[{"containerName": "sidecar", "condition": "START"}],
                ),
                SIDECAR,
            ],
        )
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        assert [c for c in rt.calls if c[0] in ("pull", "create", "start")] == [
            ("pull", "img", "once"),
            ("create", "sidecar"),
            ("start", "sidecar"),
            ("pull", "img", "once"),
            ("create", "web"),
            ("start", "web"),
        ]
        msg = reports(w)[at.task.task_arn]
        assert msg.last_status == "RUNNING"
        web_c = next(c for c in msg.containers if c.name == "web")
        assert web_c.runtime_id == rt.id_of(at.task.task_arn, "web")
        assert [(b.container_port, b.host_port) for b in web_c.network_bindings] == [(80, 49153)]
        w.flush()
        saved = json.loads((tmp_path / "agent-state.json").read_text())
        assert saved["instance_id"] == "i-1"
        assert saved["tasks"][at.task.task_arn]["containers"]["web"]["container_id"] == web_c.runtime_id

    run(main())


def test_essential_exit_stops_the_rest_with_its_stop_timeout_and_frees_ports(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web(portMappings=[{"containerPort": 80}]), SIDECAR])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        rt.kill(at.task.task_arn, "web", 2)
        await until(lambda: status(w, "t1") == "STOPPED", "the task to stop")
        assert ("stop", "sidecar", 3) in rt.calls
        assert rt.released == [("127.0.0.1", 80, 49153, "tcp")]
        msg = reports(w)[at.task.task_arn]
        assert (msg.last_status, msg.stop_code) == ("STOPPED", "EssentialContainerExited")
        assert {c.name: c.exit_code for c in msg.containers} == {"web": 2, "sidecar": 143}

    run(main())


def test_an_engine_restart_that_swallowed_the_die_event_still_stops_the_task(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web()])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        w.take_reports()
        # The engine restarted: its containers died while no event stream was open.
        rt.containers[rt.id_of(at.task.task_arn, "web")].update(running=False, exit=143)
        assert rt._deliver is not None
        rt._deliver(ContainerEvent("reconnected", "", "", "", None, ""))
        await until(lambda: status(w, "t1") == "STOPPED", "the task to stop")
        assert ("list",) in rt.calls
        msg = reports(w)[at.task.task_arn]
        assert (msg.last_status, msg.stop_code) == ("STOPPED", "EssentialContainerExited")
        assert {c.name: c.exit_code for c in msg.containers} == {"web": 143}

    run(main())


@pytest.fixture
def fast_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "ENGINE_PROBE_SECONDS", 0.05)


async def fail_a_start(w: TaskWorker, rt: MemoryRuntime) -> None:
    """A task sent while the engine is down: its start fails with the engine unreachable."""
    rt.engine_down = True
    w.handle_desired(agent_pb2.DesiredTasks(tasks=[agent_task("t1", [web()])], full=True))
    await until(lambda: status(w, "t1") == "STOPPED", "the task to fail")


@pytest.mark.usefixtures("fast_probe")
def test_a_start_that_finds_the_engine_unreachable_impairs_the_instance_until_a_probe_answers(
    tmp_path: Path,
) -> None:
    # dockerd removes its socket seconds before its event stream ends: the failed call must say so.
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        await fail_a_start(w, rt)
        assert (w.runtime_impaired, w.runtime_changed) == (True, True)
        w.runtime_changed = False  # the session sent its heartbeat
        await until(lambda: rt.calls.count(("version",)) >= 3, "the probe to ask again")
        assert w.runtime_impaired, "no answer yet: still IMPAIRED"
        rt.engine_down = False
        await until(lambda: not w.runtime_impaired, "the probe to clear the health")
        assert w.runtime_changed
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[agent_task("t2", [web()])], full=True))
        await until(lambda: status(w, "t2") == "RUNNING", "a task to run again")
        assert not w.runtime_impaired
        w.stop_events()

    run(main())


@pytest.mark.usefixtures("fast_probe")
def test_an_agent_restarted_while_its_engine_is_down_waits_for_it_to_recover(tmp_path: Path) -> None:
    """The agent restarted in the seconds a dockerd restart takes: it used to exit on the failed listing."""

    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web()])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        w.flush()

        rt.engine_down = True
        again = TaskWorker(rt, CountingStateFile(tmp_path), "once")
        starting = asyncio.ensure_future(again.start())
        await until(lambda: rt.calls.count(("list",)) >= 3, "the restarted agent to ask again")
        assert not starting.done(), "it gave up (or recovered without the engine)"
        rt.engine_down = False
        await asyncio.wait_for(starting, 5)
        assert status(again, "t1") == "RUNNING"

    run(main())


@pytest.mark.usefixtures("fast_probe")
def test_a_probe_answer_does_not_clear_a_broken_event_stream(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        assert rt._deliver is not None
        rt._deliver(ContainerEvent("disconnected", "", "", "", None, ""))
        await fail_a_start(w, rt)
        rt.engine_down = False  # calls answer, but events are not flowing yet
        await until(lambda: rt.calls.count(("version",)) >= 1, "the probe to answer")
        await asyncio.sleep(0.2)
        assert w.runtime_impaired, "the event stream is still broken"
        rt._deliver(ContainerEvent("reconnected", "", "", "", None, ""))
        await until(lambda: not w.runtime_impaired, "the reopened stream to clear the health")
        w.stop_events()

    run(main())


def test_missing_image_fails_the_task_to_start(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        rt.missing_images.add("nope")
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web(image="nope")])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "STOPPED", "the task to fail")
        msg = reports(w)[at.task.task_arn]
        assert msg.stop_code == "TaskFailedToStart"
        assert msg.containers[0].reason.startswith("CannotPullContainerError")
        assert not w.runtime_impaired, "a missing image says nothing of the engine"

    run(main())


def test_manager_stop_stops_and_cleanup_removes_after_the_wait(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web()], volumes=[{"name": "scratch"}])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[], full=True))
        await until(lambda: status(w, "t1") == "STOPPED", "the task to stop")
        assert reports(w)[at.task.task_arn].stop_code == "UserInitiated"
        assert await w.cleanup(3600) == 0  # kept for inspection at first
        assert len(rt.containers) == 1
        assert await w.cleanup(0) == 1
        assert rt.containers == {} and rt.removed_volumes == [at.task.task_arn]
        assert w.tasks == {} and w.running_task_arns() == []

    run(main())


def test_starts_are_bounded(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        rt.delay = 0.05
        w = await started_worker(rt, tmp_path)
        tasks = [agent_task(f"t{i}", [web()]) for i in range(3 * START_CONCURRENCY)]
        w.handle_desired(agent_pb2.DesiredTasks(tasks=tasks, full=True))
        await until(lambda: all(t.status == "RUNNING" for t in w.tasks.values()), "every task to run")
        assert 1 < rt.max_busy <= START_CONCURRENCY

    run(main())


def test_bursts_share_state_file_writes_and_reports(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        assert isinstance(w.statefile, CountingStateFile)
        tasks = [agent_task(f"t{i}", [web(), SIDECAR]) for i in range(10)]
        w.handle_desired(agent_pb2.DesiredTasks(tasks=tasks, full=True))
        await until(lambda: all(t.status == "RUNNING" for t in w.tasks.values()), "every task to run")
        await asyncio.sleep(0.3)
        assert w.statefile.writes < 10  # some 60 state changes, a handful of writes
        assert len(w.take_reports()) == 10  # one report per task, with its latest state
        assert w.take_reports() == []

    run(main())


def test_dependency_wait_times_out(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        check = {"command": ["CMD-SHELL", "false"]}
        init = {"name": "init", "image": "img", "memory": 32, "essential": False, "healthCheck": check}
        app = web(dependsOn=[{"containerName": "init", "condition": "HEALTHY"}], startTimeout=1)
        at = agent_task("t1", [app, init])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "STOPPED", "the start to time out")
        lt = w.tasks[at.task.task_arn]
        assert lt.containers["web"].reason.endswith("was not HEALTHY within 1s")
        assert ("stop", "init", 30) in rt.calls

    run(main())


def test_restart_opens_events_first_and_recovers_from_labels(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        one, two = agent_task("t1", [web()]), agent_task("t2", [web(), SIDECAR])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[one, two], full=True))
        await until(lambda: status(w, "t1") == status(w, "t2") == "RUNNING", "both tasks to run")
        w.stop_events()
        w.flush()
        # While the agent is down: t1's container is removed, t2's sidecar dies.
        rt.remove(rt.id_of(one.task.task_arn, "web"))
        rt.containers[rt.id_of(two.task.task_arn, "sidecar")].update(running=False, exit=5)
        rt.calls.clear()

        again = await started_worker(rt, tmp_path)
        assert rt.calls[:2] == [("watch",), ("list",)]
        msgs = reports(again)
        assert msgs[one.task.task_arn].last_status == "STOPPED"
        assert msgs[one.task.task_arn].containers[0].reason.startswith("ContainerVanishedError")
        assert msgs[two.task.task_arn].last_status == "RUNNING"
        assert {
            c.name: c.exit_code for c in msgs[two.task.task_arn].containers if c.HasField("exit_code")
        } == {"sidecar": 5}

    run(main())


def test_restart_starts_containers_created_but_not_started_and_reads_older_files(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        at = agent_task("t1", [web()])
        arn = at.task.task_arn
        cid, _ = rt.create(at.task, at.task_definition, at.task_definition.container_definitions[0])
        # A state file as the previous agent version wrote it: "started", PENDING with a container id.
        raw = {
            "instance_id": "i-1",
            "tasks": {
                arn: {
                    "arn": arn,
                    "version": 1,
                    "desired": "RUNNING",
                    "status": "PENDING",
                    "stop_code": "",
                    "stopped_reason": "",
                    "started": True,
                    "stopped_at": 0.0,
                    "resume_only": False,
                    "containers": {
                        "web": {
                            "name": "web",
                            "essential": True,
                            "container_id": cid,
                            "status": "PENDING",
                            "exit_code": None,
                            "reason": "",
                            "health": "UNKNOWN",
                            "has_health_check": False,
                            "bindings": [],
                        }
                    },
                }
            },
            "payloads": {arn: base64.b64encode(at.SerializeToString()).decode()},
        }
        (tmp_path / "agent-state.json").write_text(json.dumps(raw))
        w = await started_worker(rt, tmp_path)
        await until(lambda: status(w, "t1") == "RUNNING", "the created container to be started")
        assert ("start", "web") in rt.calls and ("create", "web") not in rt.calls[1:]

    run(main())


def test_leftover_container_of_an_unknown_task_is_adopted_when_desired(tmp_path: Path) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        (tmp_path / "agent-state.json").write_text(
            json.dumps({"instance_id": "i-1", "tasks": {}, "payloads": {}})
        )
        at, gone = agent_task("t1", [web()]), agent_task("t2", [web()])
        for t in (at, gone):
            rt.create(t.task, t.task_definition, t.task_definition.container_definitions[0])
        w = await started_worker(rt, tmp_path)
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the adopted container to run")
        await w.idle()
        assert [c for c in rt.calls if c[0] == "create"] == [
            ("create", "web"),
            ("create", "web"),
        ]  # no new one
        assert list(rt.containers) == [rt.id_of(at.task.task_arn, "web")]  # t2's was removed

    run(main())


@pytest.mark.parametrize("action", ["die", "destroy"])
def test_engine_events_for_unknown_containers_are_ignored(tmp_path: Path, action: str) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = await started_worker(rt, tmp_path)
        at = agent_task("t1", [web()])
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "RUNNING", "the task to run")
        assert rt._deliver is not None
        rt._deliver(ContainerEvent(action, "someone-else", at.task.task_arn, "web", 1, ""))
        await asyncio.sleep(0.05)
        assert status(w, "t1") == "RUNNING"

    run(main())


@pytest.mark.parametrize(
    ("policy", "container", "volumes", "words"),
    [
        (HostPolicy(disable_privileged=True), web(privileged=True), [], "--disable-privileged"),
        (
            HostPolicy(allowed_host_paths=("/data", "/var/log")),
            web(mountPoints=[{"sourceVolume": "etc", "containerPath": "/x"}]),
            [{"name": "etc", "host": {"sourcePath": "/data/../etc"}}],
            "host path /data/../etc (volume etc) is outside this instance's allowed host paths "
            "/data, /var/log",
        ),
    ],
)
def test_host_policy_stops_the_task_before_anything_is_pulled(
    tmp_path: Path, policy: HostPolicy, container: dict, volumes: list, words: str
) -> None:
    async def main() -> None:
        rt = MemoryRuntime()
        w = TaskWorker(rt, CountingStateFile(tmp_path), "once", policy)
        await w.start()
        w.set_instance("i-1")
        at = agent_task("t1", [container], volumes=volumes)
        w.handle_desired(agent_pb2.DesiredTasks(tasks=[at], full=True))
        await until(lambda: status(w, "t1") == "STOPPED", "the task to be refused")
        msg = reports(w)[at.task.task_arn]
        assert msg.stop_code == "TaskFailedToStart"
        assert words in msg.containers[0].reason
        assert not [c for c in rt.calls if c[0] in ("pull", "create", "start")]

    run(main())


def test_host_policy_allows_what_it_allows() -> None:
    policy = HostPolicy(disable_privileged=True, allowed_host_paths=("/data",))
    td = json_format.ParseDict(
        {
            "family": "ok",
            "containerDefinitions": [web(mountPoints=[{"sourceVolume": "d", "containerPath": "/d"}])],
            "volumes": [{"name": "d", "host": {"sourcePath": "/data/app"}}, {"name": "scratch"}],
        },
        ecs_pb2.TaskDefinition(),
    )
    assert policy.violation(td, td.container_definitions[0]) == ""
    # A symlink under /data that points elsewhere is judged by where it leads.
    assert "outside" in policy.violation(td, td.container_definitions[0], resolve=lambda p: "/etc")


def test_waiting_for_the_engine_retries_connection_errors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "ENGINE_PROBE_SECONDS", 0.01)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("connection refused")
        return "up"

    def broken() -> str:
        raise ValueError("a bug, not an engine away")

    def refused() -> str:  # the engine answered 404: an HTTP error, which requests makes an OSError
        response = requests.Response()
        response.status_code = 404
        raise docker.errors.NotFound("No such container: x", response=response)

    async def main() -> None:
        assert await engine.until_engine_answers(flaky, "start") == "up" and len(calls) == 3
        with pytest.raises(ValueError):
            await engine.until_engine_answers(broken, "start")
        with pytest.raises(docker.errors.NotFound):
            await asyncio.wait_for(engine.until_engine_answers(refused, "start"), 2)

    run(main())
