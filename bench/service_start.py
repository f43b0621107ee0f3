"""Benchmark: a 50-task Shoal service on one agent until all RUNNING, next to 50 containers started directly
through the Docker Engine API in the same run (and a Docker Swarm service when the engine is a swarm manager).

Prints figures only; it never passes or fails on a time.
    python bench/service_start.py [--tasks 50] [--pull-behavior prefer-cached|default]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time

import docker
from local_cluster import IMAGE, local_cluster, wait

from shoal.v1 import api_pb2, ecs_pb2


def direct(client: docker.DockerClient, n: int) -> float:
    """n containers created and started through the Engine API, 8 at a time, until all are running."""
    t0 = time.perf_counter()

    def one(i: int) -> str:
        c = client.containers.run(
            IMAGE,
            ["sleep", "3600"],
            detach=True,
            mem_limit="16m",
            name=f"bench-svc-direct-{i}",
            labels={"bench": "direct"},
        )
        return c.id

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(n)))
    wait(
        lambda: len(client.containers.list(filters={"label": "bench=direct", "status": "running"})) == n, 300
    )
    elapsed = time.perf_counter() - t0
    for cid in ids:
        client.api.remove_container(cid, force=True)
    return elapsed


def swarm(client: docker.DockerClient, n: int) -> float | None:
    try:
        if client.info().get("Swarm", {}).get("ControlAvailable") is not True:
            return None
    except docker.errors.APIError:
        return None
    t0 = time.perf_counter()
    svc = client.services.create(
        IMAGE, ["sleep", "3600"], name="bench-swarm", mode={"Replicated": {"Replicas": n}}
    )
    wait(lambda: sum(1 for t in svc.tasks() if t["Status"]["State"] == "running") == n, 600)
    elapsed = time.perf_counter() - t0
    svc.remove()
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tasks", type=int, default=50)
    p.add_argument("--pull-behavior", default="prefer-cached", choices=["default", "prefer-cached"])
    args = p.parse_args()
    with local_cluster(args.pull_behavior) as (ecs, client):
        ecs.register_task_definition(
            api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecs_pb2.TaskDefinition(
                    family="benchsvc",
                    container_definitions=[
                        ecs_pb2.ContainerDefinition(
                            name="app",
                            image=IMAGE,
                            memory=16,
                            cpu=2,
                            command=["sleep", "3600"],
                            stop_timeout=1,
                        )
                    ],
                )
            )
        )
        direct_before = direct(client, args.tasks)
        time.sleep(3)  # let the engine finish cleaning up before the next phase
        t0 = time.perf_counter()
        ecs.create_service(
            api_pb2.CreateServiceRequest(
                service_name="bench", task_definition="benchsvc", desired_count=args.tasks
            )
        )

        def all_running() -> bool:
            svc = ecs.describe_services(api_pb2.DescribeServicesRequest(services=["bench"])).services[0]
            return svc.running_count == args.tasks

        wait(all_running, 600)
        shoal_time = time.perf_counter() - t0
        ecs.delete_service(api_pb2.DeleteServiceRequest(service="bench", force=True))
        wait(lambda: not ecs.list_tasks().task_arns, 300)
        for c in client.containers.list(all=True, filters={"label": "com.shoal.task-definition-arn"}):
            c.remove(force=True)
        time.sleep(3)
        direct_after = direct(client, args.tasks)
        baseline = (direct_before + direct_after) / 2
        swarm_time = swarm(client, args.tasks)
    print(f"{args.tasks} tasks on one agent, pull behavior {args.pull_behavior}")
    print(f"docker engine API, direct    {direct_before:7.2f} s before, {direct_after:.2f} s after")
    print(f"shoal service -> all RUNNING {shoal_time:7.2f} s")
    print(f"ratio shoal / direct (mean)  {shoal_time / baseline:7.2f}x")
    print(
        f"docker swarm service         {swarm_time:7.2f} s"
        if swarm_time
        else "docker swarm: not a swarm manager"
    )


if __name__ == "__main__":
    main()
