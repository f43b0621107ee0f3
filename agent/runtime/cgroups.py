"""A container's CPU time and memory read from its cgroup files (v1 or v2): cheap, no engine call.

Memory is counted as `docker stats` counts it: usage less the inactive page cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CgroupPaths:
    cpu: Path  # v1: the cpuacct directory; v2: the unified directory
    memory: Path
    v2: bool


def _read(path: Path) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def _stat(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if v.strip().isdigit():
            out[k] = int(v)
    return out


def paths_from_proc(pid: int, root: Path = ROOT) -> CgroupPaths | None:
    """The cgroup directories of a process, from /proc/PID/cgroup (the host's pid)."""
    try:
        lines = _read(Path(f"/proc/{pid}/cgroup")).splitlines()
    except OSError:
        return None
    v1: dict[str, str] = {}
    unified = None
    for line in lines:
        _, controllers, path = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        if controllers == "":
            unified = path
        for c in controllers.split(","):
            v1[c] = path
    if "cpuacct" in v1 and "memory" in v1:
        for cpu_dir in (root / "cpuacct", root / "cpu,cpuacct"):
            cpu = cpu_dir / v1["cpuacct"].lstrip("/")
            memory = root / "memory" / v1["memory"].lstrip("/")
            if (cpu / "cpuacct.usage").exists() and (memory / "memory.usage_in_bytes").exists():
                return CgroupPaths(cpu, memory, False)
    if unified is not None:
        for base in (root, root / "unified"):
            d = base / unified.lstrip("/")
            if (d / "cpu.stat").exists() and (d / "memory.current").exists():
                return CgroupPaths(d, d, True)
    return None


def paths_by_id(container_id: str, root: Path = ROOT) -> CgroupPaths | None:
    """Where Docker's cgroupfs and systemd drivers put a container (when its pid is not ours to see)."""
    for cpu, memory in (
        (root / "cpuacct" / "docker" / container_id, root / "memory" / "docker" / container_id),
        (root / "cpu,cpuacct" / "docker" / container_id, root / "memory" / "docker" / container_id),
        (
            root / "cpu,cpuacct" / "system.slice" / f"docker-{container_id}.scope",
            root / "memory" / "system.slice" / f"docker-{container_id}.scope",
        ),
    ):
        if (cpu / "cpuacct.usage").exists() and (memory / "memory.usage_in_bytes").exists():
            return CgroupPaths(cpu, memory, False)
    for d in (root / "system.slice" / f"docker-{container_id}.scope", root / "docker" / container_id):
        if (d / "cpu.stat").exists() and (d / "memory.current").exists():
            return CgroupPaths(d, d, True)
    return None


def read_usage(p: CgroupPaths) -> tuple[float, float]:
    """(cumulative CPU seconds, memory bytes in use); OSError once the cgroup is gone."""
    if p.v2:
        cpu = _stat(_read(p.cpu / "cpu.stat")).get("usage_usec", 0) / 1e6
        used = int(_read(p.memory / "memory.current"))
        inactive = _stat(_read(p.memory / "memory.stat")).get("inactive_file", 0)
    else:
        cpu = int(_read(p.cpu / "cpuacct.usage")) / 1e9
        used = int(_read(p.memory / "memory.usage_in_bytes"))
        inactive = _stat(_read(p.memory / "memory.stat")).get("total_inactive_file", 0)
    return cpu, float(max(0, used - inactive) if inactive < used else used)
