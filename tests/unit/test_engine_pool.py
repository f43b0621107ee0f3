"""The agent's engine-call threads: asyncio's default executor that never holds up the agent's exit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from shoal.agent.engine_pool import EngineCallPool


def test_calls_run_concurrently_up_to_the_limit_and_return_or_raise() -> None:
    pool = EngineCallPool(3, "t")
    gate = threading.Barrier(3, timeout=10)  # three calls must be running at once to pass it
    futures = [pool.submit(gate.wait) for _ in range(3)]
    assert sorted(f.result(10) for f in futures) == [0, 1, 2]
    assert isinstance(pool.submit(lambda: 1 / 0).exception(10), ZeroDivisionError)
    assert pool.submit(sum, [1, 2], start=3).result(10) == 6
    assert len(pool._workers) == 3, "idle threads are reused, not added"
    pool.shutdown()


def test_shutdown_cancels_queued_calls_refuses_new_ones_and_does_not_wait_for_running_ones() -> None:
    pool = EngineCallPool(1, "t")
    release = threading.Event()
    running = pool.submit(release.wait, 30)
    queued = pool.submit(time.sleep, 0)
    pool.shutdown(wait=True)  # returns at once although a call still runs
    assert queued.cancelled() and not running.done()
    with pytest.raises(RuntimeError):
        pool.submit(time.sleep, 0)
    release.set()
    assert running.result(10) is True


def test_asyncio_takes_it_as_default_executor_and_the_process_exits_with_a_call_in_flight() -> None:
    script = (
        "import asyncio, time\n"
        "from shoal.agent.engine_pool import EngineCallPool\n"
        "async def main():\n"
        "    asyncio.get_running_loop().set_default_executor(EngineCallPool(4))\n"
        "    assert await asyncio.to_thread(sum, [1, 2]) == 3\n"
        "    asyncio.get_running_loop().run_in_executor(None, time.sleep, 60)\n"
        "    await asyncio.sleep(0.1)\n"
        "asyncio.run(main())\n"
    )
    # With ThreadPoolExecutor, asyncio.run and then the interpreter would wait the 60 s out.
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_to_thread_through_the_pool_keeps_working_in_a_loop() -> None:
    async def main() -> list[int]:
        asyncio.get_running_loop().set_default_executor(EngineCallPool(2))
        return await asyncio.gather(*(asyncio.to_thread(lambda i=i: i * i) for i in range(20)))

    assert asyncio.run(main()) == [i * i for i in range(20)]


def test_threads_left_idle_end_and_a_later_burst_starts_them_again() -> None:
    pool = EngineCallPool(4, "t", idle_seconds=0.3)
    gate = threading.Barrier(4, timeout=10)
    assert sorted(f.result(10) for f in [pool.submit(gate.wait) for _ in range(4)]) == [0, 1, 2, 3]
    threads = list(pool._workers)
    assert len(threads) == 4
    for t in threads:
        t.join(10)  # each ends once idle for 0.3 s
    assert not any(t.is_alive() for t in threads) and pool._workers == []
    # Calls submitted meanwhile, or after, still run, on new threads, as many at once as before.
    gate = threading.Barrier(4, timeout=10)
    assert sorted(f.result(10) for f in [pool.submit(gate.wait) for _ in range(4)]) == [0, 1, 2, 3]
    assert len(pool._workers) == 4 and not set(pool._workers) & set(threads)
    pool.shutdown()


def test_a_call_submitted_as_an_idle_thread_times_out_is_not_lost() -> None:
    pool = EngineCallPool(1, "t", idle_seconds=0.01)
    for i in range(300):  # submits race the only thread's idle timeout again and again
        assert pool.submit(lambda i=i: i).result(10) == i
        time.sleep(0.01)
    pool.shutdown()
