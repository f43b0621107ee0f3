"""The agent's state file on a real, small filesystem (tmpfs): a full disk never corrupts it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from shoal.agent import worker as worker_mod
from shoal.agent.state import LocalTask
from shoal.agent.statefile import StateFile
from shoal.agent.worker import TaskWorker


@pytest.fixture
def small_disk() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail(
            "mounting a small tmpfs needs root (run the suite as root, as .ci/run does)", pytrace=False
        )
    path = Path(tempfile.mkdtemp(prefix="shoal-ha-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "shoal-ha-disk", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
        with contextlib.suppress(OSError):
            path.rmdir()


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 4096)
    return filler


def _tasks(n: int) -> dict[str, LocalTask]:
    return {f"arn:task/{i}": LocalTask(arn=f"arn:task/{i}", version=1, desired="RUNNING") for i in range(n)}


def test_a_full_disk_keeps_the_old_state_file_and_no_partial_copy(small_disk: Path) -> None:
    sf = StateFile(small_disk)
    sf.save("i-0000000000000001", _tasks(1), {})
    filler = _fill(small_disk)
    with pytest.raises(OSError):
        sf.save("i-0000000000000001", _tasks(200), {"arn:task/0": "x" * 20000})
    assert not sf.path.with_suffix(".tmp").exists()
    instance_id, tasks, _ = sf.load()
    assert instance_id == "i-0000000000000001" and list(tasks) == ["arn:task/0"]
    filler.unlink()
    sf.save("i-0000000000000001", _tasks(200), {})
    assert len(sf.load()[1]) == 200


def test_the_worker_logs_a_failed_write_and_retries_it_once_there_is_room(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_mod, "SAVE_RETRY_SECONDS", 0.2)
    sf = StateFile(small_disk)
    sf.save("", {}, {})

    async def body() -> None:
        # Only the file is at stake here: a runtime that does nothing.
        w = TaskWorker(runtime=SimpleNamespace(set_instance=lambda _: None), statefile=sf)  # type: ignore[arg-type]
        w._loop = asyncio.get_running_loop()
        filler = _fill(small_disk)
        w.state.payloads.clear()
        w.set_instance("i-00000000000000aa")  # a change to save, on a disk with no room
        await asyncio.sleep(1.0)
        assert sf.load()[0] == ""  # not written, and the old file is intact
        filler.unlink()
        await asyncio.sleep(1.0)
        assert sf.load()[0] == "i-00000000000000aa"

    with caplog.at_level(logging.WARNING, logger="shoal.agent.worker"):
        asyncio.run(body())
    assert "could not write the state file" in caplog.text


def test_a_real_agent_syncs_its_state_file_and_a_simulated_vm_does_not(tmp_path: Path, monkeypatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting)
    (tmp_path / "real").mkdir()
    (tmp_path / "sim").mkdir()
    real, simulated = StateFile(tmp_path / "real"), StateFile(tmp_path / "sim", durable=False)
    real.save("i-1", _tasks(2), {})
    assert len(synced) == 2, "the data before the rename, and the rename itself"
    simulated.save("i-2", _tasks(2), {})
    assert len(synced) == 2
    # Still written whole, through a rename: what loads back is what was saved.
    assert simulated.load()[0] == "i-2" and sorted(simulated.load()[1]) == sorted(_tasks(2))
    assert not list((tmp_path / "sim").glob("*.tmp"))
