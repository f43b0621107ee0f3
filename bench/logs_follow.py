"""Benchmark: log lines/s through `shoal task logs --follow`, next to `docker logs -f` in the same run.

A task's container waits a moment, then writes --lines lines as fast as it can; the follower started
before that counts them as they arrive (first to last line). Then the whole backlog is read again
without --follow, through Shoal and through `docker logs`. Prints figures only; never passes or fails.
    python bench/logs_follow.py [--lines 200000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from local_cluster import IMAGE, local_cluster, wait

from shoal.v1 import api_pb2, ecs_pb2

BIN = Path(sys.executable).parent


def count_lines(cmd: list[str], n: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds from the first line to the n-th (or to the end of output), and how many came."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, bufsize=1 << 20)
    assert proc.stdout is not None
    got, first = 0, 0.0
    try:
        for _ in proc.stdout:
            if got == 0:
                first = time.perf_counter()
            got += 1
            if got >= n:
                break
        return time.perf_counter() - first, got
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--quick", action="store_true", help="20,000 lines")
    args = p.parse_args()
    n = 20_000 if args.quick else args.lines
    with local_cluster("prefer-cached") as (ecs, client):
        ecs.register_task_definition(
            api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecs_pb2.TaskDefinition(
                    family="bench-logs",
                    container_definitions=[
                        ecs_pb2.ContainerDefinition(
                            name="app",
                            image=IMAGE,
                            memory=64,
                            command=["sh", "-c", f"sleep 3; seq 1 {n}; sleep 3600"],
                            stop_timeout=1,
                        )
                    ],
                )
            )
        )
        env = dict(
            os.environ,
            SHOAL_ENDPOINT=ecs.endpoint,
            SHOAL_CA_FILE=str(ecs.ca_file),
            SHOAL_API_KEY=ecs.api_key or "",
        )

        def started() -> tuple[str, str]:
            arn = ecs.run_task(api_pb2.RunTaskRequest(task_definition="bench-logs")).tasks[0].task_arn

            def running() -> bool:
                t = ecs.describe_tasks(api_pb2.DescribeTasksRequest(tasks=[arn])).tasks[0]
                return t.last_status == "RUNNING"

            wait(running)
            [c] = client.containers.list(filters={"label": f"com.shoal.task-arn={arn}"})
            return arn, c.id

        arn, _ = started()
        shoal_s, shoal_n = count_lines([str(BIN / "shoal"), "task", "logs", arn, "--follow"], n, env)
        _, cid = started()
        docker_s, docker_n = count_lines(["docker", "logs", "-f", cid], n)
        time.sleep(1)
        back_s, back_n = count_lines([str(BIN / "shoal"), "task", "logs", arn], n, env)
        dback_s, dback_n = count_lines(["docker", "logs", cid], n)
        rate = {
            k: c / s if s > 0 else 0.0
            for k, (s, c) in {
                "shoal -f": (shoal_s, shoal_n),
                "docker -f": (docker_s, docker_n),
                "shoal": (back_s, back_n),
                "docker": (dback_s, dback_n),
            }.items()
        }
        print(f"log lines through --follow ({n} lines written at full speed, busybox seq):")
        print(f"  shoal task logs --follow   {rate['shoal -f']:>10,.0f} lines/s  ({shoal_n} lines)")
        print(f"  docker logs -f (baseline)  {rate['docker -f']:>10,.0f} lines/s  ({docker_n} lines)")
        print(f"  ratio shoal/docker         {rate['shoal -f'] / max(rate['docker -f'], 1e-9):>10.2f}")
        print("reading the same backlog again (no --follow):")
        print(f"  shoal task logs            {rate['shoal']:>10,.0f} lines/s  ({back_n} lines)")
        print(f"  docker logs (baseline)     {rate['docker']:>10,.0f} lines/s  ({dback_n} lines)")
        print(f"  ratio shoal/docker         {rate['shoal'] / max(rate['docker'], 1e-9):>10.2f}")


if __name__ == "__main__":
    main()
