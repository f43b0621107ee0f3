"""`shoal cluster`: create, list, describe and delete clusters."""

from __future__ import annotations

from collections.abc import Iterable

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import exit_on_failures, print_table
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
@common
def cluster_list(endpoint: str | None, cluster: str | None, output: str | None) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.list_clusters(api_pb2.ListClustersRequest(max_results=1000))
    c.emit(resp, lambda: [click.echo(a) for a in resp.cluster_arns])


@cluster.command("describe")
@click.argument("names", nargs=-1)
@common
def cluster_describe(
    names: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_clusters(api_pb2.DescribeClustersRequest(clusters=list(names) or [c.cluster]))
    c.emit(resp, lambda: _cluster_rows(resp.clusters))
    exit_on_failures(resp.failures)


@cluster.command("delete")
@click.argument("name", required=False)
@common
def cluster_delete(name: str | None, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_cluster(api_pb2.DeleteClusterRequest(cluster=name or c.cluster))
    c.emit(resp, lambda: _cluster_rows([resp.cluster]))
