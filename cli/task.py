"""`shoal task`: run, start, stop, list, describe and wait for tasks."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence

import click

from shoal.cli._common import Ctx, add_placement, common, ctx_of, load_json_arg, one_of, parse_into, some_of
from shoal.cli.output import exit_on_failures, fail, note, print_failures, print_table, short
from shoal.cli.paging import DESCRIBE_TASKS, describe_batched, echo_listing, paginate, paging_options
from shoal.core.tasks import is_stopped
from shoal.v1 import api_pb2, ecs_pb2


@click.group()
def task() -> None:
    """Run, start, stop, list, describe and wait for tasks."""


def _task_rows(tasks: Iterable[ecs_pb2.Task]) -> None:
    rows = []
    for t in tasks:
        ports = ",".join(
            f"{b.bind_i_p}:{b.host_port}->{b.container_port}"
            for c in t.containers
            for b in c.network_bindings
        )
        exits = ",".join(f"{c.name}={c.exit_code}" for c in t.containers if c.HasField("exit_code"))
        rows.append(
            [
                short(t.task_arn),
                short(t.task_definition_arn),
                t.last_status,
                t.desired_status,
                short(t.container_instance_arn) or "-",
                t.availability_zone or "-",
                ports or "-",
                exits or "-",
                t.stopped_reason or "-",
            ]
        )
    print_table(["TASK", "DEFINITION", "LAST", "DESIRED", "INSTANCE", "AZ", "PORTS", "EXIT", "REASON"], rows)


@task.command("run")
@click.option("--task-definition", required=True, help="FAMILY[:REVISION] or ARN")
@click.option("--count", type=click.IntRange(1, 10), default=1, show_default=True)
@click.option("--group", default="")
@click.option("--started-by", default="")
@click.option(
    "--placement-strategy", default=None, help='JSON, e.g. [{"type":"spread","field":"instanceId"}]'
)
@click.option("--placement-constraints", default=None, help='JSON, e.g. [{"type":"distinctInstance"}]')
@click.option("--overrides", default=None, help="ECS TaskOverride JSON")
@click.option("--client-token", default="")
@click.option("--dry-run", is_flag=True, help="show the placement plan; start nothing")
@click.option(
    "--enable-execute-command/--disable-execute-command",
    default=False,
    help="allow `shoal task exec` into these tasks (ECS Exec)",
)
@common
def task_run(
    task_definition: str,
    count: int,
    group: str,
    started_by: str,
    placement_strategy: str | None,
    placement_constraints: str | None,
    overrides: str | None,
    client_token: str,
    dry_run: bool,
    enable_execute_command: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Place and start tasks (ECS RunTask)."""
    c = ctx_of(endpoint, cluster, output)
    req = api_pb2.RunTaskRequest(
        cluster=c.cluster,
        task_definition=task_definition,
        count=count,
        group=group,
        started_by=started_by,
        client_token=client_token,
        dry_run=dry_run,
        enable_execute_command=enable_execute_command,
    )
    add_placement(placement_strategy, placement_constraints, req)
    if overrides:
        parse_into(load_json_arg(overrides, "--overrides"), req.overrides, "--overrides", "overrides")
    resp = c.client.run_task(req)
    if dry_run and c.output != "json":
        click.echo(f"dry run: nothing was started; {len(resp.tasks)} task(s) would be placed")
        print_table(
            ["#", "INSTANCE", "AZ", "WHY"],
            [
                [
                    i + 1,
                    short(t.container_instance_arn),
                    t.availability_zone or "-",
                    t.placement_reason or "-",
                ]
                for i, t in enumerate(resp.tasks)
            ],
        )
    else:
        c.emit(resp, lambda: _task_rows(resp.tasks))
    print_failures(resp.failures)
    if resp.failures and not resp.tasks:
        sys.exit(1)


@task.command("start")
@click.option("--task-definition", required=True)
@click.option(
    "--instances",
    "--container-instances",
    "instances",
    multiple=True,
    required=True,
    help="container instance ids: --instances i-1 i-2 (aws-cli style), repeated, or comma-separated",
)
@click.option("--group", default="")
@click.option("--started-by", default="")
@click.option(
    "--enable-execute-command/--disable-execute-command",
    default=False,
    help="allow `shoal task exec` into these tasks (ECS Exec)",
)
@click.argument("more_instances", nargs=-1, metavar="")
@common
def task_start(
    task_definition: str,
    instances: tuple[str, ...],
    group: str,
    started_by: str,
    more_instances: tuple[str, ...],
    enable_execute_command: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Start tasks on the named instances (ECS StartTask)."""
    c = ctx_of(endpoint, cluster, output)
    ids = [x for v in (*instances, *more_instances) for x in v.split(",") if x]
    resp = c.client.start_task(
        api_pb2.StartTaskRequest(
            cluster=c.cluster,
            task_definition=task_definition,
            container_instances=ids,
            group=group,
            started_by=started_by,
            enable_execute_command=enable_execute_command,
        )
    )
    c.emit(resp, lambda: _task_rows(resp.tasks))
    print_failures(resp.failures)
    if resp.failures and not resp.tasks:
        sys.exit(1)


@task.command("stop")
@click.argument("task_id", required=False)
@click.option("--task", "task_flag", default=None, help="the task, aws-cli spelling")
@click.option("--reason", default="")
@common
def task_stop(
    task_id: str | None,
    task_flag: str | None,
    reason: str,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    task_id = one_of(task_id, task_flag, "TASK", "--task")
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.stop_task(api_pb2.StopTaskRequest(cluster=c.cluster, task=task_id, reason=reason))
    c.emit(resp, lambda: _task_rows([resp.task]))


@task.command("list")
@click.option("--container-instance", default="")
@click.option("--family", default="")
@click.option("--service-name", default="")
@click.option(
    "--desired-status",
    default=None,
    type=click.Choice(["RUNNING", "PENDING", "STOPPED"], case_sensitive=False),
)
@click.option("--started-by", default="")
@paging_options
@common
def task_list(
    container_instance: str,
    family: str,
    service_name: str,
    desired_status: str | None,
    started_by: str,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_tasks,
        api_pb2.ListTasksRequest(
            cluster=c.cluster,
            container_instance=container_instance,
            family=family,
            service_name=service_name,
            desired_status=desired_status,
            started_by=started_by,
        ),
        "task_arns",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    c.emit(resp, lambda: echo_listing(resp.task_arns, resp.next_token))


def _describe(c: Ctx, ids: Sequence[str]) -> api_pb2.DescribeTasksResponse:
    """DescribeTasks in calls of at most 100 tasks (the API's limit), merged."""
    return describe_batched(
        lambda batch: c.client.describe_tasks(api_pb2.DescribeTasksRequest(cluster=c.cluster, tasks=batch)),
        list(ids),
        DESCRIBE_TASKS,
    )


@task.command("describe")
@click.argument("ids", nargs=-1)
@click.option("--tasks", "tasks_flag", multiple=True, help="tasks, aws-cli spelling")
@common
def task_describe(
    ids: tuple[str, ...],
    tasks_flag: tuple[str, ...],
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    ids = some_of(ids, tasks_flag, "ID", "--tasks")
    c = ctx_of(endpoint, cluster, output)
    resp = _describe(c, ids)
    c.emit(resp, lambda: _task_rows(resp.tasks))
    exit_on_failures(resp.failures)


@task.command("wait")
@click.argument("state", type=click.Choice(["running", "stopped"]))
@click.argument("ids", nargs=-1, required=True)
@click.option("--timeout", type=float, default=300, show_default=True, help="seconds")
@common
def task_wait(
    state: str,
    ids: tuple[str, ...],
    timeout: float,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Wait until every task is RUNNING (or STOPPED), showing what is still awaited."""
    c = ctx_of(endpoint, cluster, output)
    target = state.upper()
    deadline = time.monotonic() + timeout
    last_line = ""
    while True:
        resp = _describe(c, ids)
        exit_on_failures(resp.failures)
        waiting = [t for t in resp.tasks if t.last_status != target]
        if target == "RUNNING":
            stopped = [t for t in resp.tasks if is_stopped(t)]
            if stopped:
                for t in stopped:
                    reasons = "; ".join(f"{x.name}: {x.reason}" for x in t.containers if x.reason)
                    note(
                        f"task {short(t.task_arn)} STOPPED ({t.stop_code}): {t.stopped_reason}"
                        + (f" [{reasons}]" if reasons else "")
                    )
                sys.exit(1)
        if not waiting:
            note(f"all {len(resp.tasks)} task(s) {target}")
            c.emit(resp, lambda done=resp: _task_rows(done.tasks))
            return
        line = (
            "waiting for "
            + ", ".join(f"{short(t.task_arn)[:12]} ({t.last_status})" for t in waiting)
            + f" to be {target}"
        )
        if line != last_line:
            note(line)
            last_line = line
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout:g}s; still {line[len('waiting for ') :]}")
        time.sleep(0.25)
