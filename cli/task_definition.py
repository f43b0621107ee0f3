"""`shoal task-definition`: register the ECS JSON you have, describe, list and deregister revisions."""

from __future__ import annotations

import click

from shoal.cli._common import common, ctx_of, load_json_arg, parse_into, parse_items
from shoal.cli.output import fail, note, print_table
from shoal.cli.paging import echo_listing, paginate, paging_options
from shoal.core.taskdef import is_essential
from shoal.v1 import api_pb2, ecs_pb2

# Output-only fields a user may carry over from `describe-task-definition` output.
_TASK_DEFINITION_OUTPUT_FIELDS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "compatibilities",
    "requiresAttributes",
)


@click.group("task-definition")
def task_definition() -> None:
    """Register, describe, list and deregister task definitions."""


def _td_table(td: ecs_pb2.TaskDefinition) -> None:
    size = f"  cpu {td.cpu} memory {td.memory}" if td.cpu or td.memory else ""
    click.echo(f"{td.family}:{td.revision}  {td.status}  {td.task_definition_arn}{size}")
    dynamic = td.network_mode == "awsvpc"  # run as bridge: every host port is dynamic

    def ports(c: ecs_pb2.ContainerDefinition) -> str:
        return (
            ",".join(
                f"{'dyn' if dynamic or not p.host_port else p.host_port}:{p.container_port}"
                f"/{p.protocol or 'tcp'}"
                for p in c.port_mappings
            )
            or "-"
        )

    print_table(
        ["CONTAINER", "IMAGE", "CPU", "MEMORY", "RESERVATION", "PORTS", "ESSENTIAL"],
        [
            [
                c.name,
                c.image,
                c.cpu,
                c.memory if c.HasField("memory") else "-",
                c.memory_reservation if c.HasField("memory_reservation") else "-",
                ports(c),
                "yes" if is_essential(c) else "no",
            ]
            for c in td.container_definitions
        ],
    )


@task_definition.command("register")
@click.option("--cli-input-json", "input_json", default=None, help="file://td.json or inline JSON")
@click.option(
    "-f", "--file", "file", type=click.Path(dir_okay=False), default=None, help="task definition JSON file"
)
@common
def td_register(
    input_json: str | None,
    file: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Register the ECS task definition JSON you already have."""
    c = ctx_of(endpoint, cluster, output)
    if not input_json and not file:
        fail("give the task definition with --cli-input-json file://td.json or -f td.json", 2)
    data = load_json_arg(input_json or f"file://{file}", "task definition")
    if not isinstance(data, dict):
        fail("task definition must be a JSON object", 2)
    outer_tags = []
    if "taskDefinition" in data and isinstance(data["taskDefinition"], dict):
        outer_tags = data.get("tags", [])
        data = data["taskDefinition"]  # `describe-task-definition` output works too
    tags = data.pop("tags", []) or outer_tags
    # Empty lists count as absent: `describe-task-definition --output json` prints every list.
    dropped = [k for k in _TASK_DEFINITION_OUTPUT_FIELDS if data.pop(k, None) not in (None, [])]
    if dropped:
        note(f"note: ignored output-only fields: {', '.join(dropped)}")
    for unit in ("cpu", "memory"):  # ECS accepts plain numbers for the task-level strings
        if isinstance(data.get(unit), int | float) and not isinstance(data.get(unit), bool):
            data[unit] = str(data[unit])
    td = parse_into(data, ecs_pb2.TaskDefinition(), "task definition")
    tag_msgs = parse_items(tags, ecs_pb2.Tag, "tags", "tags")  # an object is refused, never dropped
    resp = c.client.register_task_definition(
        api_pb2.RegisterTaskDefinitionRequest(task_definition=td, tags=tag_msgs)
    )
    c.emit(resp, lambda: _td_table(resp.task_definition))
    for w in resp.warnings:
        note(f"warning: {w}")


@task_definition.command("describe")
@click.argument("ref")
@common
def td_describe(ref: str, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_task_definition(api_pb2.DescribeTaskDefinitionRequest(task_definition=ref))
    c.emit(resp, lambda: _td_table(resp.task_definition))


@task_definition.command("list")
@click.option("--family", "--family-prefix", "family", default="")
@click.option("--status", default=None, type=click.Choice(["ACTIVE", "INACTIVE"], case_sensitive=False))
@click.option("--sort", default=None, type=click.Choice(["ASC", "DESC"], case_sensitive=False))
@paging_options
@common
def td_list(
    family: str,
    status: str | None,
    sort: str | None,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_task_definitions,
        api_pb2.ListTaskDefinitionsRequest(family_prefix=family, status=status, sort=sort),
        "task_definition_arns",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    c.emit(resp, lambda: echo_listing(resp.task_definition_arns, resp.next_token))


@task_definition.command("families")
@click.option("--family-prefix", default="")
@click.option(
    "--status", default=None, type=click.Choice(["ACTIVE", "INACTIVE", "ALL"], case_sensitive=False)
)
@paging_options
@common
def td_families(
    family_prefix: str,
    status: str | None,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_task_definition_families,
        api_pb2.ListTaskDefinitionFamiliesRequest(family_prefix=family_prefix, status=status),
        "families",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    c.emit(resp, lambda: echo_listing(resp.families, resp.next_token))


@task_definition.command("deregister")
@click.argument("ref")
@common
def td_deregister(ref: str, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.deregister_task_definition(api_pb2.DeregisterTaskDefinitionRequest(task_definition=ref))
    c.emit(resp, lambda: _td_table(resp.task_definition))
