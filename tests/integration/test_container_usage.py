"""The Docker adapter's container usage against a real engine: cgroup files, and Docker's stats stream
where those cannot be read; both read the same kernel counters."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from shoal.agent.runtime.docker import DockerRuntime
from tests.conftest import wait_for
from tests.integration.test_docker_runtime import make


@pytest.fixture
def runtime(docker_client, busybox_image) -> Iterator[DockerRuntime]:
    rt = DockerRuntime(f"i-{secrets.token_hex(6)}", "metrics-itest", "127.0.0.1")
    yield rt
    for c in rt.list_task_containers():
        rt.remove(c.container_id)


def test_cgroup_files_and_stats_stream_agree(runtime: DockerRuntime, busybox_image) -> None:
    task, td = make(
        {"name": "burn", "image": busybox_image, "memory": 32, "command": ["sh", "-c", "while :; do :; done"]}
    )
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    runtime.start(cid)
    first = runtime.container_usage([cid])[cid]
    time.sleep(2)
    second = runtime.container_usage([cid])[cid]
    assert second[0] > first[0] and 0 < second[1] < 32 * 2**20

    # The fallback path: one stream per container, its latest reading handed back.
    reading = wait_for(lambda: runtime._streamed_usage(cid), 30, "a reading from the stats stream")
    from_files = runtime.container_usage([cid])[cid]
    assert abs(reading[0] - from_files[0]) < 3  # the same cumulative counter, at most a few seconds apart
    assert reading[1] > 0
    runtime.container_usage([])  # not wanted any more: its stream ends
    assert runtime._streams == {}
