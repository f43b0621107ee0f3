"""Benchmark: RunTask -> RUNNING through real Shoal processes, next to a plain `docker run` in the same run.

Prints figures only; it never passes or fails on a time. Needs a running Docker Engine and etcd on PATH.
    python bench/run_task_latency.py [--runs 20] [--pull-behavior default|prefer-cached]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import grpc
from shoal.v1 import api_pb2, api_pb2_grpc, ecs_pb2

IMAGE = "shoal-bench/busybox:latest"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_image(client: docker.DockerClient) -> None:
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy("/bin/busybox", Path(ctx) / "busybox")
        (Path(ctx) / "Dockerfile").write_text(
            'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        )
        client.images.build(path=ctx, tag=IMAGE, rm=True)


def wait(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise SystemExit("timed out")


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
    client = docker.from_env()
    build_image(client)
    root = Path(tempfile.mkdtemp(prefix="shoal-bench-"))
    endpoint = f"127.0.0.1:{free_port()}"
    procs = [
        subprocess.Popen(
            [str(BIN / "shoal-manager"), "--listen", endpoint, "--data-dir", str(root / "m")],
            stdout=subprocess.DEVNULL,
            stderr=open(root / "m.log", "w"),  # noqa: SIM115 - lives as long as the process
        )
    ]
    stub = api_pb2_grpc.EcsStub(grpc.insecure_channel(endpoint))

    def up() -> bool:
        try:
            stub.ListClusters(api_pb2.ListClustersRequest(), timeout=1)
            return True
        except grpc.RpcError:
            return False

    try:
        wait(up)
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "shoal-agent"),
                    "--manager",
                    endpoint,
                    "--data-dir",
                    str(root / "a"),
                    "--image-pull-behavior",
                    args.pull_behavior,
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(root / "a.log", "w"),  # noqa: SIM115
            )
        )
        wait(
            lambda: (
                len(
                    stub.ListContainerInstances(
                        api_pb2.ListContainerInstancesRequest(), timeout=2
                    ).container_instance_arns
                )
                == 1
            )
        )
        stub.RegisterTaskDefinition(
            api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecs_pb2.TaskDefinition(
                    family="bench",
                    container_definitions=[
                        ecs_pb2.ContainerDefinition(
                            name="app", image=IMAGE, memory=16, command=["sleep", "3600"], stop_timeout=1
                        )
                    ],
                )
            ),
            timeout=10,
        )
        shoal, direct = [], []
        for i in range(args.runs):
            t0 = time.perf_counter()
            arn = stub.RunTask(api_pb2.RunTaskRequest(task_definition="bench"), timeout=10).tasks[0].task_arn
            wait(
                lambda arn=arn: (
                    stub.DescribeTasks(api_pb2.DescribeTasksRequest(tasks=[arn]), timeout=5)
                    .tasks[0]
                    .last_status
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
            stub.StopTask(api_pb2.StopTaskRequest(task=arn), timeout=10)
        print(f"RunTask -> RUNNING vs docker run, {args.runs} runs, pull behavior {args.pull_behavior}")
        print(summary("shoal RunTask -> RUNNING", shoal))
        print(summary("docker run -> running", direct))
        print(f"ratio (median): {statistics.median(shoal) / statistics.median(direct):.2f}x")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(20)
        for c in client.containers.list(all=True, filters={"label": "com.shoal.task-definition-arn"}):
            if "bench" in c.labels.get("com.shoal.task-definition-arn", ""):
                c.remove(force=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
