"""`shoal cluster`: create, list, describe and delete clusters."""

from __future__ import annotations

from collections.abc import Iterable

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import exit_on_failures, print_table
from shoal.cli.paging import DESCRIBE_CLUSTERS, describe_batched, echo_listing, paginate, paging_options
from shoal.v1 import api_pb2, ecs_pb2


@click.group()
def cluster() -> None:
    """Create, list, describe and delete clusters."""


def _cluster_rows(clusters: Iterable[ecs_pb2.Cluster]) -> None:
    print_table(
        ["NAME", "STATUS", "INSTANCES", "RUNNING", "PENDING"],
        [
            [
                c.cluster_name,
                c.status,
                c.registered_container_instances_count,
                c.running_tasks_count,
                c.pending_tasks_count,
            ]
            for c in clusters
        ],
    )


@cluster.command("create")
@click.argument("name", required=False)
@click.option("--cluster-name", "cluster_name", default=None)
@common
def cluster_create(
    name: str | None, cluster_name: str | None, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Create a cluster (default: the --cluster value)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.create_cluster(
        api_pb2.CreateClusterRequest(cluster_name=name or cluster_name or c.cluster)
    )
    c.emit(resp, lambda: _cluster_rows([resp.cluster]))


@cluster.command("list")
@paging_options
@common
def cluster_list(
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_clusters,
        api_pb2.ListClustersRequest(),
        "cluster_arns",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    c.emit(resp, lambda: echo_listing(resp.cluster_arns, resp.next_token))


@cluster.command("describe")
@click.argument("names", nargs=-1)
@common
def cluster_describe(
    names: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = describe_batched(
        lambda batch: c.client.describe_clusters(api_pb2.DescribeClustersRequest(clusters=batch)),
        list(names) or [c.cluster],
        DESCRIBE_CLUSTERS,
    )
    c.emit(resp, lambda: _cluster_rows(resp.clusters))
    exit_on_failures(resp.failures)


@cluster.command("delete")
@click.argument("name", required=False)
@common
def cluster_delete(name: str | None, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_cluster(api_pb2.DeleteClusterRequest(cluster=name or c.cluster))
    c.emit(resp, lambda: _cluster_rows([resp.cluster]))
