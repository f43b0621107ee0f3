"""The agent's per-task usage sampler: CPU from cumulative readings, memory averaged, per heartbeat."""

from __future__ import annotations

import asyncio

import pytest

from shoal.agent.runtime.simulated import SimulatedRuntime
from shoal.agent.usage import MIB, TaskUsageSampler
from shoal.v1 import ecs_pb2


def test_cpu_units_from_cumulative_seconds_and_memory_mean() -> None:
    s = TaskUsageSampler(object(), lambda: [])
    tasks = [("t1", ["c1", "c2"]), ("t2", ["c3"])]
    s.record(tasks, {"c1": (10.0, 100 * MIB), "c2": (0.0, 50 * MIB), "c3": (5.0, 10 * MIB)}, now=100.0)
    assert s.take() == []  # a baseline only: no interval yet
    s.record(tasks, {"c1": (14.0, 120 * MIB), "c2": (1.0, 50 * MIB), "c3": (5.5, 30 * MIB)}, now=105.0)
    s.record(tasks, {"c1": (19.0, 140 * MIB), "c2": (1.0, 50 * MIB), "c3": (6.0, 10 * MIB)}, now=110.0)
    got = {u.task_arn: u for u in s.take()}
    # t1: (19 - 10 + 1 - 0) CPU seconds over 10 s = one core = 1024 units.
    assert got["t1"].cpu_units == pytest.approx(1024.0)
    assert got["t1"].memory_mib == pytest.approx((170 + 190) / 2)  # since the last take
    assert got["t2"].cpu_units == pytest.approx(102.4)
    assert got["t2"].samples == 2
    s.record(tasks, {"c1": (19.5, 140 * MIB), "c3": (6.0, 10 * MIB)}, now=115.0)
    again = {u.task_arn: u for u in s.take()}  # only what came after the last take
    assert again["t1"].cpu_units == pytest.approx(0.5 / 5 * 1024)


def test_restarted_container_and_gone_tasks() -> None:
    s = TaskUsageSampler(object(), lambda: [])
    s.record([("t", ["c"])], {"c": (50.0, MIB)}, now=0.0)
    s.record([("t", ["c"])], {"c": (1.0, MIB)}, now=5.0)  # counter went back: a new baseline, not negative
    s.record([("t", ["c"])], {"c": (2.0, MIB)}, now=10.0)
    [u] = s.take()
    assert u.cpu_units == pytest.approx(1 / 5 * 1024)
    s.record([], {}, now=15.0)
    assert s.take() == []


def test_simulated_runtime_reports_through_the_same_path() -> None:
    async def run() -> list:
        rt = SimulatedRuntime()
        td = ecs_pb2.TaskDefinition(cpu="512", memory="256")
        c = td.container_definitions.add(name="app", image="x")
        task = ecs_pb2.Task(task_arn="arn:t")
        cid, _ = rt.create(task, td, c)
        await rt.start(cid)
        s = TaskUsageSampler(rt, lambda: [("arn:t", [cid])], interval=0.05)
        await s.sample()
        await asyncio.sleep(0.2)
        await s.sample()
        return s.take()

    [u] = asyncio.run(run())
    assert 0.1 * 512 * 0.9 <= u.cpu_units <= 0.9 * 512 * 1.1  # a steady share of its 512 units
    assert 0 < u.memory_mib <= 256
