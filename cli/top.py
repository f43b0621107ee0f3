"""`shoal top [services|instances|tasks]`: utilization next to reservation, live like `docker stats`."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from shoal.cli._common import common, ctx_of
from shoal.cli.output import out, print_table
from shoal.v1 import metrics_pb2

COLUMNS = {
    "services": ["SERVICE", "TASKS", "CPU %", "CPU USED/RESERVED", "MEM %", "MEM USED/RESERVED (MiB)"],
    "instances": [
        "INSTANCE",
        "STATUS",
        "TASKS",
        "CPU %",
        "CPU RESERVED %",
        "CPU USED/RESERVED/REGISTERED",
        "MEM %",
        "MEM RESERVED %",
        "MEM USED/RESERVED/REGISTERED (MiB)",
    ],
    "tasks": [
        "TASK",
        "SERVICE",
        "INSTANCE",
        "STATUS",
        "CPU %",
        "CPU USED/RESERVED",
        "MEM %",
        "MEM USED/RESERVED",
    ],
}


def _pct(row: metrics_pb2.UsageRow, field: str) -> str:
    return f"{getattr(row, field):.1f}%" if row.HasField(field) else "-"


def _used(row: metrics_pb2.UsageRow, field: str) -> str:
    return f"{getattr(row, field):.0f}" if row.HasField(field) else "-"


def rows(resp: metrics_pb2.DescribeUsageResponse, kind: str) -> list[list[str]]:
    out_rows = []
    for r in resp.rows:
        cpu = f"{_used(r, 'cpu_used')}/{r.cpu_reserved:.0f}"
        mem = f"{_used(r, 'memory_used')}/{r.memory_reserved:.0f}"
        if kind == "services":
            out_rows.append(
                [
                    r.name,
                    str(r.running_tasks),
                    _pct(r, "cpu_utilization"),
                    cpu,
                    _pct(r, "memory_utilization"),
                    mem,
                ]
            )
        elif kind == "instances":
            out_rows.append(
                [
                    r.name,
                    r.status,
                    str(r.running_tasks),
                    _pct(r, "cpu_utilization"),
                    _pct(r, "cpu_reservation"),
                    f"{cpu}/{r.cpu_registered:.0f}",
                    _pct(r, "memory_utilization"),
                    _pct(r, "memory_reservation"),
                    f"{mem}/{r.memory_registered:.0f}",
                ]
            )
        else:
            out_rows.append(
                [
                    r.name,
                    r.service or "-",
                    r.instance_id,
                    r.status,
                    _pct(r, "cpu_utilization"),
                    cpu,
                    _pct(r, "memory_utilization"),
                    mem,
                ]
            )
    return out_rows


def summary(resp: metrics_pb2.DescribeUsageResponse, cluster: str) -> str:
    c = resp.cluster
    return (
        f"cluster {cluster}: {c.running_tasks} running task(s); CPU {_pct(c, 'cpu_utilization')} used, "
        f"{_pct(c, 'cpu_reservation')} reserved of {c.cpu_registered:.0f} units; memory "
        f"{_pct(c, 'memory_utilization')} used, {_pct(c, 'memory_reservation')} reserved of "
        f"{c.memory_registered:.0f} MiB"
    )


def _renderable(resp: metrics_pb2.DescribeUsageResponse, kind: str, cluster: str, interval: float):
    t = Table(box=None, pad_edge=False, show_edge=False)
    for col in COLUMNS[kind]:
        t.add_column(col, overflow="fold")
    for r in rows(resp, kind):
        t.add_row(*r)
    head = Text(f"{summary(resp, cluster)}   (every {interval:g}s; Ctrl-C to quit)", style="bold")
    return Group(head, t)


@click.command("top")
@click.argument("kind", type=click.Choice(list(COLUMNS)), default="services")
@click.option("--interval", type=click.FloatRange(min=0.5), default=2.0, show_default=True, help="seconds")
@click.option("--once", is_flag=True, help="print once and exit (the default when stdout is not a terminal)")
@common
def top(
    kind: str, interval: float, once: bool, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Live CPU and memory of services, instances or tasks: utilization next to reservation."""
    c = ctx_of(endpoint, cluster, output)

    def fetch() -> metrics_pb2.DescribeUsageResponse:
        return c.client.describe_usage(metrics_pb2.DescribeUsageRequest(cluster=c.cluster, kind=kind))

    resp = fetch()
    if once or c.output == "json" or not sys.stdout.isatty():
        c.emit(
            resp, lambda: (click.echo(summary(resp, c.cluster)), print_table(COLUMNS[kind], rows(resp, kind)))
        )
        return
    with Live(
        _renderable(resp, kind, c.cluster, interval), console=out, auto_refresh=False, screen=False
    ) as live:
        while True:
            time.sleep(interval)
            live.update(_renderable(fetch(), kind, c.cluster, interval), refresh=True)
