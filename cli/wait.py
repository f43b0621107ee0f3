"""`shoal wait`: block until services are stable, showing each deployment's progress."""

from __future__ import annotations

import time

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import exit_on_failures, fail, note
from shoal.cli.service import describe_services
from shoal.v1 import ecs_pb2


@click.group("wait")
def wait_group() -> None:
    """Wait for services to be stable."""


def _is_stable(sv: ecs_pb2.Service) -> bool:
    """One deployment left, running desiredCount tasks (a DAEMON: its rollout COMPLETED)."""
    if len(sv.deployments) != 1:
        return False
    rollout = sv.deployments[0].rollout_state
    return (sv.running_count == sv.desired_count and rollout != "IN_PROGRESS") or (
        sv.scheduling_strategy == "DAEMON" and rollout == "COMPLETED"
    )


def _progress(sv: ecs_pb2.Service) -> str:
    return ", ".join(
        f"{d.status.lower()} {d.task_definition.rsplit('/', 1)[-1]} "
        f"{d.running_count}/{d.desired_count} running"
        + (f" {d.pending_count} pending" if d.pending_count else "")
        + (f" {d.failed_tasks} failed" if d.failed_tasks else "")
        + (f" [{d.rollout_state}]" if d.rollout_state else "")
        for d in sv.deployments
    )


@wait_group.command("services-stable")
@click.argument("names", nargs=-1, required=True)
@click.option("--timeout", type=float, default=600, show_default=True, help="seconds")
@common
def wait_services_stable(
    names: tuple[str, ...], timeout: float, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Wait until each service runs desiredCount tasks in a single deployment; shows progress."""
    c = ctx_of(endpoint, cluster, output)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        resp = describe_services(c, names)
        exit_on_failures(resp.failures)
        pending = []
        for sv in resp.services:
            stable = _is_stable(sv)
            if sv.status == "INACTIVE":
                fail(f"service {sv.service_name} is INACTIVE (deleted); it will never be stable")
            if not stable:
                pending.append(f"{sv.service_name}: {_progress(sv)}")
        if not pending:
            note(f"{len(resp.services)} service(s) stable")
            return
        line = "waiting for " + "; ".join(pending)
        if line != last:
            note(line)
            last = line
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout:g}s; {'; '.join(pending)}")
        time.sleep(0.5)
