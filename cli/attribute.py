"""`shoal attribute`: put, delete and list custom attributes of container instances."""

from __future__ import annotations

from collections.abc import Iterable

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import print_table, short
from shoal.cli.paging import paginate, paging_options
from shoal.v1 import api_pb2, ecs_pb2


@click.group()
def attribute() -> None:
    """Put, delete and list custom attributes of container instances."""


def _attrs(target: str, pairs: tuple[str, ...]) -> list[ecs_pb2.Attribute]:
    attrs = []
    for p in pairs:
        name, sep, value = p.partition("=")
        attrs.append(
            ecs_pb2.Attribute(
                name=name, value=value if sep else "", target_type="container-instance", target_id=target
            )
        )
    return attrs


def _attr_rows(attrs: Iterable[ecs_pb2.Attribute]) -> None:
    print_table(["INSTANCE", "NAME", "VALUE"], [[short(a.target_id), a.name, a.value or "-"] for a in attrs])


@attribute.command("put")
@click.option("--target", required=True, help="container instance id or ARN")
@click.argument("pairs", nargs=-1, required=True)
@common
def attribute_put(
    target: str, pairs: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.put_attributes(
        api_pb2.PutAttributesRequest(cluster=c.cluster, attributes=_attrs(target, pairs))
    )
    c.emit(resp, lambda: _attr_rows(resp.attributes))


@attribute.command("delete")
@click.option("--target", required=True, help="container instance id or ARN")
@click.argument("pairs", nargs=-1, required=True)
@common
def attribute_delete(
    target: str, pairs: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_attributes(
        api_pb2.DeleteAttributesRequest(cluster=c.cluster, attributes=_attrs(target, pairs))
    )
    c.emit(resp, lambda: _attr_rows(resp.attributes))


@attribute.command("list")
@click.option("--name", default="")
@click.option("--value", default="")
@paging_options
@common
def attribute_list(
    name: str,
    value: str,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_attributes,
        api_pb2.ListAttributesRequest(
            cluster=c.cluster, target_type="container-instance", attribute_name=name, attribute_value=value
        ),
        "attributes",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )

    def table() -> None:
        _attr_rows(resp.attributes)
        if resp.next_token:
            click.echo(f"NextToken: {resp.next_token}", err=True)

    c.emit(resp, table)
