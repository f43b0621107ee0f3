"""The simulated container runtime behind the real TaskWorker: what `shoal-agent simulate` runs on."""

from __future__ import annotations

from pathlib import Path

from shoal.agent.runtime.base import ContainerRuntime
from shoal.agent.runtime.simulated import SimulatedRuntime, SimulationProfile
from shoal.agent.statefile import StateFile
from shoal.agent.worker import TaskWorker
from shoal.v1 import agent_pb2
from tests.unit.test_agent_worker import PREFIX, agent_task, run, until, web


async def _worker(profile: SimulationProfile, data_dir: Path) -> tuple[TaskWorker, SimulatedRuntime]:
    runtime = SimulatedRuntime(profile)
    worker = TaskWorker(runtime, StateFile(data_dir))
    await worker.start()
    worker.set_instance("i-sim")
    return worker, runtime


def test_it_has_every_method_of_a_container_runtime() -> None:
    for name in ContainerRuntime.__dict__:
        if not name.startswith("_"):
            assert callable(getattr(SimulatedRuntime(), name)), name


def test_tasks_run_after_the_start_delay_and_stop_when_asked(tmp_path: Path) -> None:
    async def body() -> None:
        worker, runtime = await _worker(SimulationProfile(start_delay=0.05), tmp_path)
        tasks = [agent_task(f"t{n}", [web(portMappings=[{"containerPort": 80}])]) for n in range(20)]
        worker.handle_desired(agent_pb2.DesiredTasks(seq=1, full=True, tasks=tasks))
        await until(lambda: all(t.status == "RUNNING" for t in worker.tasks.values()), "tasks to run")
        ports = {b[2] for c in runtime.containers.values() for b in c.bindings}
        assert len(ports) == 20  # every task got its own dynamic host port
        stop = agent_task("t0", [web()], desired="STOPPED")
        stop.task.version = 2
        worker.handle_desired(agent_pb2.DesiredTasks(seq=2, full=False, tasks=[stop]))
        await until(lambda: worker.tasks[PREFIX + "t0"].status == "STOPPED", "t0 to stop")
        assert sum(c.running for c in runtime.containers.values()) == 19

    run(body())


def test_scripted_failures_exit_containers_by_themselves(tmp_path: Path) -> None:
    async def body() -> None:
        profile = SimulationProfile(start_delay=0, failure_rate=1.0, failure_after=0.05, seed=1)
        worker, _ = await _worker(profile, tmp_path)
        worker.handle_desired(agent_pb2.DesiredTasks(seq=1, full=True, tasks=[agent_task("t", [web()])]))
        await until(lambda: worker.tasks[PREFIX + "t"].status == "STOPPED", "the task to fail")
        assert worker.tasks[PREFIX + "t"].containers["web"].exit_code == 1

    run(body())
