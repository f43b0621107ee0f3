"""`shoal instance`: list, describe, drain, activate and deregister container instances."""

from __future__ import annotations

from collections.abc import Iterable

import click

from shoal.cli._common import Ctx, common, ctx_of
from shoal.cli.output import exit_on_failures, print_table
from shoal.cli.paging import DESCRIBE_CONTAINER_INSTANCES, describe_batched, paginate, paging_options
from shoal.v1 import api_pb2, ecs_pb2


@click.group()
def instance() -> None:
    """List, describe, drain, activate and deregister container instances."""


def _resource(resources: Iterable[ecs_pb2.Resource], name: str) -> int:
    for r in resources:
        if r.name == name:
            return r.integer_value
    return 0


def _instance_rows(instances: Iterable[ecs_pb2.ContainerInstance]) -> None:
    rows = []
    for i in instances:
        attrs = {a.name: a.value for a in i.attributes}
        rows.append(
            [
                i.ec2_instance_id,
                i.status,
                "yes" if i.agent_connected else "no",
                attrs.get("ecs.availability-zone", "-"),
                attrs.get("ecs.instance-type", "-"),
                f"{_resource(i.remaining_resources, 'CPU')}/{_resource(i.registered_resources, 'CPU')}",
                f"{_resource(i.remaining_resources, 'MEMORY')}/{_resource(i.registered_resources, 'MEMORY')}",
                i.running_tasks_count,
                i.pending_tasks_count,
            ]
        )
    print_table(
        ["ID", "STATUS", "CONNECTED", "AZ", "TYPE", "CPU FREE/REG", "MEM FREE/REG", "RUNNING", "PENDING"],
        rows,
    )


@instance.command("list")
@click.option(
    "--status",
    default=None,
    type=click.Choice(["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING"], case_sensitive=False),
)
@click.option("--filter", "filter_", default="", help="cluster query language expression")
@paging_options
@common
def instance_list(
    status: str | None,
    filter_: str,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_container_instances,
        api_pb2.ListContainerInstancesRequest(cluster=c.cluster, status=status, filter=filter_),
        "container_instance_arns",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    if c.output == "json" or not resp.container_instance_arns:
        c.emit(resp, lambda: None)
        return
    desc = _describe(c, list(resp.container_instance_arns))
    exit_on_failures(desc.failures)
    _instance_rows(desc.container_instances)
    if resp.next_token:
        click.echo(f"NextToken: {resp.next_token}", err=True)


def _describe(c: Ctx, refs: list[str]) -> api_pb2.DescribeContainerInstancesResponse:
    """DescribeContainerInstances in calls of at most 100 instances (the API's limit), merged."""
    return describe_batched(
        lambda batch: c.client.describe_container_instances(
            api_pb2.DescribeContainerInstancesRequest(cluster=c.cluster, container_instances=batch)
        ),
        refs,
        DESCRIBE_CONTAINER_INSTANCES,
    )


@instance.command("describe")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_describe(
    ids: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = _describe(c, list(ids))
    c.emit(resp, lambda: _instance_rows(resp.container_instances))
    exit_on_failures(resp.failures)


def _set_state(
    ids: tuple[str, ...], status: str, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.update_container_instances_state(
        api_pb2.UpdateContainerInstancesStateRequest(
            cluster=c.cluster, container_instances=list(ids), status=status
        )
    )
    c.emit(resp, lambda: _instance_rows(resp.container_instances))
    exit_on_failures(resp.failures)


@instance.command("drain")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_drain(
    ids: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    _set_state(ids, "DRAINING", endpoint, cluster, output)


@instance.command("activate")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_activate(
    ids: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    _set_state(ids, "ACTIVE", endpoint, cluster, output)


@instance.command("deregister")
@click.argument("instance_id")
@click.option("--force", is_flag=True, help="deregister even with tasks on it (they are marked STOPPED)")
@common
def instance_deregister(
    instance_id: str, force: bool, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.deregister_container_instance(
        api_pb2.DeregisterContainerInstanceRequest(
            cluster=c.cluster, container_instance=instance_id, force=force
        )
    )
    c.emit(resp, lambda: _instance_rows([resp.container_instance]))
