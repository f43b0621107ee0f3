"""Benchmark: RunTask -> RUNNING through real Shoal processes, next to a plain `docker run` in the same run.

Prints figures only; it never passes or fails on a time. Needs a running Docker Engine and etcd on PATH.
    python bench/run_task_latency.py [--runs 20] [--pull-behavior default|prefer-cached]
"""

from __future__ import annotations

import argparse
import statistics
import time

from local_cluster import IMAGE, local_cluster, wait

from shoal.v1 import api_pb2, ecs_pb2


def summary(name: str, xs: list[float]) -> str:
    xs = sorted(xs)
    p90 = xs[int(0.9 * (len(xs) - 1))]
    return (
        f"{name:<28} median {statistics.median(xs) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   n={len(xs)}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--pull-behavior", default="default", choices=["default", "prefer-cached"])
    args = p.parse_args()
    with local_cluster(args.pull_behavior) as (ecs, client):
        ecs.register_task_definition(
            api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecs_pb2.TaskDefinition(
                    family="bench",
                    container_definitions=[
                        ecs_pb2.ContainerDefinition(
                            name="app", image=IMAGE, memory=16, command=["sleep", "3600"], stop_timeout=1
                        )
                    ],
                )
            )
        )
        shoal, direct = [], []
        for i in range(args.runs):
            t0 = time.perf_counter()
            arn = ecs.run_task(api_pb2.RunTaskRequest(task_definition="bench")).tasks[0].task_arn
            wait(
                lambda arn=arn: (
                    ecs.describe_tasks(api_pb2.DescribeTasksRequest(tasks=[arn])).tasks[0].last_status
                    == "RUNNING"
                )
            )
            shoal.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            c = client.containers.run(
                IMAGE, ["sleep", "3600"], detach=True, mem_limit="16m", name=f"bench-direct-{i}"
            )
            wait(lambda c=c: c.reload() or c.status == "running")
            direct.append(time.perf_counter() - t0)
            c.remove(force=True)
            ecs.stop_task(api_pb2.StopTaskRequest(task=arn))
        print(f"RunTask -> RUNNING vs docker run, {args.runs} runs, pull behavior {args.pull_behavior}")
        print(summary("shoal RunTask -> RUNNING", shoal))
        print(summary("docker run -> running", direct))
        print(f"ratio (median): {statistics.median(shoal) / statistics.median(direct):.2f}x")


if __name__ == "__main__":
    main()
