"""`shoal service`: create, update, delete, describe and list services, and follow their events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from shoal.cli._common import (
    Ctx,
    add_placement,
    common,
    ctx_of,
    json_list,
    load_json_arg,
    one_of,
    parse_into,
    parse_items,
    some_of,
)
from shoal.cli.output import exit_on_failures, print_table, ts
from shoal.cli.paging import DESCRIBE_SERVICES, describe_batched, echo_listing, paginate, paging_options
from shoal.client.ecsjson import to_dict, to_json
from shoal.v1 import api_pb2, ecs_pb2

_F = TypeVar("_F", bound=Callable[..., Any])


@click.group()
def service() -> None:
    """Create, update, delete, describe and list services, and follow their events."""


def _service_rows(services: Iterable[ecs_pb2.Service]) -> None:
    rows = []
    for sv in services:
        for d in sv.deployments:
            rows.append(
                [
                    sv.service_name,
                    sv.status,
                    sv.scheduling_strategy,
                    sv.desired_count,
                    d.status,
                    d.task_definition.rsplit("/", 1)[-1],
                    f"{d.running_count}/{d.desired_count}",
                    d.pending_count,
                    d.failed_tasks,
                    d.rollout_state,
                ]
            )
    print_table(
        [
            "SERVICE",
            "STATUS",
            "STRATEGY",
            "DESIRED",
            "DEPLOYMENT",
            "DEFINITION",
            "RUNNING",
            "PENDING",
            "FAILED",
            "ROLLOUT",
        ],
        rows,
    )


def service_settings(f: _F) -> _F:
    """Options CreateService and UpdateService share, with the aws-cli names."""
    f = click.option("--health-check-grace-period-seconds", type=int, default=None)(f)
    f = click.option(
        "--enable-execute-command/--disable-execute-command",
        "enable_execute_command",
        default=None,
        help="allow `shoal task exec` into the service's new tasks (ECS Exec)",
    )(f)
    f = click.option(
        "--load-balancers",
        default=None,
        help='JSON list: [{"targetGroupArn":"...","containerName":"web","containerPort":80}]',
    )(f)
    f = click.option(
        "--deployment-configuration",
        default=None,
        help='JSON: {"maximumPercent":200,"minimumHealthyPercent":100,'
        '"deploymentCircuitBreaker":{"enable":true,"rollback":true}}',
    )(f)
    f = click.option("--placement-constraints", default=None, help="JSON list")(f)
    f = click.option("--placement-strategy", default=None, help="JSON list")(f)
    return click.option("--desired-count", type=int, default=None)(f)


def _apply_settings(
    req: api_pb2.CreateServiceRequest | api_pb2.UpdateServiceRequest, settings: dict[str, Any]
) -> None:
    if settings["desired_count"] is not None:
        req.desired_count = settings["desired_count"]
    if settings["health_check_grace_period_seconds"] is not None:
        req.health_check_grace_period_seconds = settings["health_check_grace_period_seconds"]
    if settings["enable_execute_command"] is not None:
        req.enable_execute_command = settings["enable_execute_command"]
    add_placement(settings["placement_strategy"], settings["placement_constraints"], req)
    if settings["load_balancers"] is not None:
        items = json_list(settings["load_balancers"], "--load-balancers")
        req.load_balancers.extend(
            parse_items(items, ecs_pb2.LoadBalancer, "--load-balancers", "loadBalancers")
        )
        if not items and isinstance(req, api_pb2.UpdateServiceRequest):
            req.clear_load_balancers = True  # `--load-balancers '[]'` removes them, as in ECS
    if settings["deployment_configuration"]:
        parse_into(
            load_json_arg(settings["deployment_configuration"], "--deployment-configuration"),
            req.deployment_configuration,
            "--deployment-configuration",
            "deploymentConfiguration",
        )


@service.command("create")
@click.option("--service-name", required=True)
@click.option("--task-definition", required=True)
@click.option(
    "--scheduling-strategy", type=click.Choice(["REPLICA", "DAEMON"]), default="REPLICA", show_default=True
)
@service_settings
@common
def service_create(
    service_name: str,
    task_definition: str,
    scheduling_strategy: str,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
    **settings: Any,
) -> None:
    """Create a service (ECS CreateService)."""
    c = ctx_of(endpoint, cluster, output)
    req = api_pb2.CreateServiceRequest(
        cluster=c.cluster,
        service_name=service_name,
        task_definition=task_definition,
        scheduling_strategy=scheduling_strategy,
    )
    _apply_settings(req, settings)
    resp = c.client.create_service(req)
    c.emit(resp, lambda: _service_rows([resp.service]))


@service.command("update")
@click.argument("name", required=False)
@click.option("--service", "service_flag", default=None, help="the service, aws-cli spelling")
@click.option("--task-definition", default="")
@click.option("--force-new-deployment", is_flag=True)
@service_settings
@common
def service_update(
    name: str | None,
    service_flag: str | None,
    task_definition: str,
    force_new_deployment: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
    **settings: Any,
) -> None:
    """Change a service: new task definition (rolling deployment), count, configuration."""
    name = one_of(name, service_flag, "NAME", "--service")
    c = ctx_of(endpoint, cluster, output)
    req = api_pb2.UpdateServiceRequest(
        cluster=c.cluster,
        service=name,
        task_definition=task_definition,
        force_new_deployment=force_new_deployment,
    )
    _apply_settings(req, settings)
    resp = c.client.update_service(req)
    c.emit(resp, lambda: _service_rows([resp.service]))


@service.command("delete")
@click.argument("name", required=False)
@click.option("--service", "service_flag", default=None, help="the service, aws-cli spelling")
@click.option("--force", is_flag=True, help="delete even with desiredCount > 0 (its tasks are stopped)")
@common
def service_delete(
    name: str | None,
    service_flag: str | None,
    force: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    name = one_of(name, service_flag, "NAME", "--service")
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_service(api_pb2.DeleteServiceRequest(cluster=c.cluster, service=name, force=force))
    c.emit(resp, lambda: _service_rows([resp.service]))


@service.command("describe")
@click.argument("names", nargs=-1)
@click.option("--services", "services_flag", multiple=True, help="services, aws-cli spelling")
@common
def service_describe(
    names: tuple[str, ...],
    services_flag: tuple[str, ...],
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    names = some_of(names, services_flag, "NAME", "--services")
    c = ctx_of(endpoint, cluster, output)
    resp = describe_services(c, names)
    c.emit(resp, lambda: _service_rows(resp.services))
    exit_on_failures(resp.failures)


def describe_services(c: Ctx, names: Sequence[str]) -> api_pb2.DescribeServicesResponse:
    """DescribeServices in calls of at most 10 services (the API's limit), merged."""
    return describe_batched(
        lambda batch: c.client.describe_services(
            api_pb2.DescribeServicesRequest(cluster=c.cluster, services=batch)
        ),
        list(names),
        DESCRIBE_SERVICES,
    )


@service.command("list")
@click.option(
    "--scheduling-strategy", type=click.Choice(["REPLICA", "DAEMON"], case_sensitive=False), default=None
)
@paging_options
@common
def service_list(
    scheduling_strategy: str | None,
    max_items: int | None,
    page_size: int | None,
    starting_token: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = paginate(
        c.client.list_services,
        api_pb2.ListServicesRequest(cluster=c.cluster, scheduling_strategy=scheduling_strategy),
        "service_arns",
        max_items=max_items,
        page_size=page_size,
        starting_token=starting_token,
    )
    c.emit(resp, lambda: echo_listing(resp.service_arns, resp.next_token))


@service.command("events")
@click.argument("name")
@click.option("--follow", is_flag=True, help="keep printing new events")
@common
def service_events(
    name: str, follow: bool, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Service events, oldest first (--follow keeps printing new ones).

    --output json prints one document, {"events": [...]}, newest first as DescribeServices
    carries them; with --follow, one JSON line per event instead, as they come.
    """
    c = ctx_of(endpoint, cluster, output)
    seen: set[str] = set()
    while True:
        resp = c.client.describe_services(api_pb2.DescribeServicesRequest(cluster=c.cluster, services=[name]))
        exit_on_failures(resp.failures)
        sv = resp.services[0]
        if c.output == "json" and not follow:
            click.echo(
                json.dumps({"events": [to_dict(ev) for ev in sv.events]}, indent=2, ensure_ascii=False)
            )
            return
        for ev in reversed(sv.events):
            if ev.id in seen:
                continue
            seen.add(ev.id)
            if c.output == "json":
                click.echo(to_json(ev, indent=None))
            else:
                click.echo(f"{ts(ev.created_at)}  {ev.message}")
        if not follow:
            return
        if sv.status == "INACTIVE":
            return  # deleted: nothing more will happen
        time.sleep(1)
