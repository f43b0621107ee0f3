"""Shared by the benchmarks: a throwaway manager + one agent as real processes, and the test image."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker

from shoal.client import ShoalClient
from shoal.core.errors import ShoalError
from shoal.v1 import api_pb2, fleet_pb2

IMAGE = "shoal-bench/busybox:latest"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise SystemExit("timed out")


def build_image(client: docker.DockerClient) -> None:
    """FROM scratch + Debian's static busybox: no registry needed."""
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy("/bin/busybox", Path(ctx) / "busybox")
        (Path(ctx) / "Dockerfile").write_text(
            'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        )
        client.images.build(path=ctx, tag=IMAGE, rm=True)


@contextlib.contextmanager
def local_cluster(pull_behavior: str) -> Iterator[tuple[ShoalClient, docker.DockerClient]]:
    """Start shoal-manager (embedded etcd) and one shoal-agent; tear both down with their containers."""
    client = docker.from_env()
    build_image(client)
    root = Path(tempfile.mkdtemp(prefix="shoal-bench-"))
    endpoint = f"127.0.0.1:{free_port()}"
    with open(root / "manager.log", "w") as mlog, open(root / "agent.log", "w") as alog:
        procs = [
            subprocess.Popen(
                [
                    str(BIN / "shoal-manager"),
                    "--listen",
                    endpoint,
                    "--agent-listen",
                    f"127.0.0.1:{free_port()}",
                    "--installer-listen",
                    "off",
                    "--data-dir",
                    str(root / "m"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=mlog,
            )
        ]
        ca_file, key_file = root / "m" / "ca.pem", root / "m" / "admin.key"
        ecs = ShoalClient(endpoint, timeout=10, ca_file=str(ca_file))

        def up() -> bool:
            try:
                ecs.list_clusters(timeout=1)
                return True
            except ShoalError:
                return False

        try:
            wait(ca_file.exists)
            wait(key_file.exists)
            ecs.api_key = key_file.read_text().strip()
            wait(up)
            token = ecs.create_join_token(fleet_pb2.CreateJoinTokenRequest(ttl_seconds=600, uses=1)).secret
            procs.append(
                subprocess.Popen(
                    [
                        str(BIN / "shoal-agent"),
                        "--manager",
                        endpoint,
                        "--data-dir",
                        str(root / "a"),
                        "--image-pull-behavior",
                        pull_behavior,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=alog,
                    env=dict(os.environ, SHOAL_JOIN_TOKEN=token),
                )
            )
            wait(
                lambda: (
                    len(
                        ecs.list_container_instances(
                            api_pb2.ListContainerInstancesRequest()
                        ).container_instance_arns
                    )
                    == 1
                )
            )
            yield ecs, client
        finally:
            ecs.close()
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(30)
            for c in client.containers.list(all=True, filters={"label": "com.shoal.cluster"}):
                if c.labels.get("com.shoal.task-definition-arn", "").split("/")[-1].startswith("bench"):
                    c.remove(force=True)
            if os.environ.get("SHOAL_BENCH_KEEP"):
                print(f"logs kept in {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
