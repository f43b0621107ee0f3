"""Benchmark: the agent's own CPU and RSS while it samples the usage of 50 running tasks, next to the same
agent with no task (same run), and how many of the tasks have figures at the manager.

Prints figures only; it never passes or fails on a time. Needs a running Docker Engine and etcd on PATH.
    python bench/agent_usage.py [--tasks 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import time

import psutil
from local_cluster import IMAGE, local_cluster, wait

from shoal.v1 import api_pb2, ecs_pb2, metrics_pb2


def agent_process() -> psutil.Process:
    for p in psutil.Process().children(recursive=True):
        if any("shoal-agent" in part for part in p.cmdline()):
            return p
    raise SystemExit("no shoal-agent child process found")


def measure(proc: psutil.Process, seconds: float) -> tuple[float, float]:
    """(CPU % of one core over `seconds`, RSS MiB at the end)."""
    t0, c0 = time.monotonic(), sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    t1, c1 = time.monotonic(), sum(proc.cpu_times()[:2])
    return (c1 - c0) / (t1 - t0) * 100, proc.memory_info().rss / 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tasks", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args()
    with local_cluster("prefer-cached") as (ecs, _docker):
        agent = agent_process()
        ecs.register_task_definition(
            api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecs_pb2.TaskDefinition(
                    family="bench-usage",
                    container_definitions=[
                        ecs_pb2.ContainerDefinition(
                            name="app", image=IMAGE, memory=16, command=["sleep", "3600"], stop_timeout=1
                        )
                    ],
                )
            )
        )
        idle_cpu, idle_rss = measure(agent, args.seconds)
        left = args.tasks
        while left > 0:
            n = min(10, left)
            ecs.run_task(api_pb2.RunTaskRequest(task_definition="bench-usage", count=n))
            left -= n

        def running() -> bool:
            arns = ecs.list_tasks(api_pb2.ListTasksRequest(desired_status="RUNNING")).task_arns
            tasks = ecs.describe_tasks(api_pb2.DescribeTasksRequest(tasks=list(arns))).tasks if arns else []
            return sum(1 for t in tasks if t.last_status == "RUNNING") >= args.tasks

        wait(running, 300)
        time.sleep(15)  # the first samples and heartbeats
        busy_cpu, busy_rss = measure(agent, args.seconds)
        usage = ecs.describe_usage(metrics_pb2.DescribeUsageRequest(kind="tasks"))
        measured = sum(1 for r in usage.rows if r.HasField("cpu_used"))
        print(f"agent with 0 tasks:        CPU {idle_cpu:5.1f} % of a core   RSS {idle_rss:6.1f} MiB")
        print(
            f"agent with {args.tasks} tasks sampled: CPU {busy_cpu:5.1f} % of a core   "
            f"RSS {busy_rss:6.1f} MiB"
        )
        print(
            f"ratio (busy / idle):       CPU x{busy_cpu / max(idle_cpu, 0.01):.1f}   "
            f"RSS x{busy_rss / idle_rss:.2f}"
        )
        print(f"tasks with usage figures at the manager: {measured} of {len(usage.rows)}")


if __name__ == "__main__":
    main()
