"""Host resources and usage from psutil (what the agent advertises and reports)."""

from __future__ import annotations

import platform

import psutil


def cpu_units() -> int:
    """1024 units per logical CPU, as ECS counts them."""
    return (psutil.cpu_count(logical=True) or 1) * 1024


def memory_mib() -> int:
    return psutil.virtual_memory().total // (1024 * 1024)


def cpu_architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def prime() -> None:
    # The first cpu_percent(None) returns 0.0: take it at start so heartbeats carry real numbers.
    psutil.cpu_percent(None)


def usage() -> tuple[float, int, int]:
    """(cpu percent since last call, memory used MiB, memory total MiB)."""
    vm = psutil.virtual_memory()
    return psutil.cpu_percent(None), (vm.total - vm.available) // (1024 * 1024), vm.total // (1024 * 1024)
