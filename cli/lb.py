"""`shoal lb`: target groups, load balancers, listeners and rules (ELBv2 shapes)."""

from __future__ import annotations

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import print_table, short
from shoal.v1 import lb_pb2


@click.group("lb")
def lb() -> None:
    """Load balancers for services: target groups, load balancers, listeners, rules."""


def _groups_table(groups) -> None:
    print_table(
        ["NAME", "PROTOCOL", "PORT", "HEALTH CHECK", "DEREGISTRATION DELAY", "LOAD BALANCERS"],
        [
            [
                g.target_group_name,
                g.protocol,
                g.port,
                f"{g.health_check_protocol} {g.health_check_path} every {g.health_check_interval_seconds}s "
                f"({g.healthy_threshold_count} up, {g.unhealthy_threshold_count} down"
                + (f", {g.matcher.http_code}" if g.matcher.http_code else "")
                + ")",
                f"{g.deregistration_delay_seconds}s",
                ",".join(a.split("/")[-2] for a in g.load_balancer_arns) or "-",
            ]
            for g in groups
        ],
    )


@lb.command("create-target-group")
@click.option("--name", required=True)
@click.option("--protocol", required=True, help="HTTP or TCP")
@click.option("--port", type=int, required=True)
@click.option("--health-check-protocol", default="", help="HTTP or TCP (default: the protocol)")
@click.option("--health-check-path", default="", help="HTTP health checks: the path (default /)")
@click.option("--health-check-interval-seconds", type=int, default=None)
@click.option("--health-check-timeout-seconds", type=int, default=None)
@click.option("--healthy-threshold-count", type=int, default=None)
@click.option("--unhealthy-threshold-count", type=int, default=None)
@click.option("--matcher", default="", help="HTTP codes of a healthy target: 200, 200,302 or 200-399")
@click.option("--deregistration-delay", type=int, default=None, help="seconds (default 300)")
@common
def create_target_group(
    name,
    protocol,
    port,
    health_check_protocol,
    health_check_path,
    matcher,
    endpoint,
    cluster,
    output,
    **numbers,
) -> None:
    """Create a target group (services register their tasks in it)."""
    c = ctx_of(endpoint, cluster, output)
    req = lb_pb2.CreateTargetGroupRequest(
        name=name,
        protocol=protocol,
        port=port,
        health_check_protocol=health_check_protocol,
        health_check_path=health_check_path,
    )
    if matcher:
        req.matcher.http_code = matcher
    fields = {"deregistration_delay": "deregistration_delay_seconds"}
    for k, v in numbers.items():
        if v is not None:
            setattr(req, fields.get(k, k), v)
    resp = c.client.create_target_group(req)
    c.emit(resp, lambda: _groups_table(resp.target_groups))


@lb.command("describe-target-groups")
@click.option("--names", multiple=True, help="target group names (repeatable)")
@click.option("--target-group-arns", multiple=True)
@click.option("--load-balancer-arn", default="", help="only the groups of this load balancer (name or ARN)")
@common
def describe_target_groups(names, target_group_arns, load_balancer_arn, endpoint, cluster, output) -> None:
    """Target groups (all when none are named)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_target_groups(
        lb_pb2.DescribeTargetGroupsRequest(
            names=list(names), target_group_arns=list(target_group_arns), load_balancer_arn=load_balancer_arn
        )
    )
    c.emit(resp, lambda: _groups_table(resp.target_groups))


@lb.command("delete-target-group")
@click.argument("target_group", required=False)
@click.option("--target-group-arn", default=None)
@common
def delete_target_group(target_group, target_group_arn, endpoint, cluster, output) -> None:
    """Delete a target group that no listener, rule or service uses."""
    ref = target_group_arn or target_group
    if not ref:
        raise click.UsageError("give the target group (name or --target-group-arn)")
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_target_group(lb_pb2.DeleteTargetGroupRequest(target_group_arn=ref))
    c.emit(resp, lambda: click.echo(f"target group {ref} deleted"))


@lb.command("describe-target-health")
@click.argument("target_group", required=False)
@click.option("--target-group-arn", default=None)
@common
def describe_target_health(target_group, target_group_arn, endpoint, cluster, output) -> None:
    """Each target of a group: initial, healthy, unhealthy, draining or unused, and why."""
    ref = target_group_arn or target_group
    if not ref:
        raise click.UsageError("give the target group (name or --target-group-arn)")
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_target_health(lb_pb2.DescribeTargetHealthRequest(target_group_arn=ref))
    c.emit(
        resp,
        lambda: print_table(
            ["TASK", "INSTANCE", "ADDRESS", "STATE", "CONNECTIONS", "REASON"],
            [
                [
                    short(d.task_arn),
                    d.target.id,
                    d.address,
                    d.target_health.state,
                    d.current_connections,
                    d.target_health.description or "-",
                ]
                for d in resp.target_health_descriptions
            ],
        ),
    )


def _lbs_table(lbs) -> None:
    print_table(
        ["NAME", "STATE", "PLACEMENT", "LISTENERS", "ADDRESSES"],
        [
            [
                x.load_balancer_name,
                x.state,
                x.placement or "-",
                ",".join(f"{ls.protocol}:{ls.port}" for ls in x.listeners) or "-",
                ",".join(a.ip_address for a in x.addresses) or "-",
            ]
            for x in lbs
        ],
    )


@lb.command("create")
@click.option("--name", required=True)
@click.option(
    "--placement",
    default="",
    help="cluster query language: the instances that run it, e.g. 'attribute:role == edge'",
)
@common
def create(name, placement, endpoint, cluster, output) -> None:
    """Create a load balancer, run by the proxies of the instances its placement chooses."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.create_load_balancer(
        lb_pb2.CreateLoadBalancerRequest(name=name, cluster=c.cluster, placement=placement)
    )
    c.emit(resp, lambda: _lbs_table(resp.load_balancers))


@lb.command("describe")
@click.argument("names", nargs=-1)
@common
def describe(names, endpoint, cluster, output) -> None:
    """Load balancers with their listeners and the addresses they answer on (all when none named)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_load_balancers(lb_pb2.DescribeLoadBalancersRequest(names=list(names)))

    def text() -> None:
        _lbs_table(resp.load_balancers)
        rows = []
        for x in resp.load_balancers:
            for ls in x.listeners:
                rows.append(
                    [
                        x.load_balancer_name,
                        f"{ls.protocol}:{ls.port}",
                        "default",
                        ls.default_target_group_arn.split("/")[-2],
                        ls.listener_arn,
                    ]
                )
                for r in sorted(ls.rules, key=lambda r: r.priority):
                    cond = " ".join(f"{c.field}={','.join(c.values)}" for c in r.conditions)
                    rows.append(
                        [
                            x.load_balancer_name,
                            f"{ls.protocol}:{ls.port}",
                            f"{r.priority}: {cond}",
                            r.target_group_arn.split("/")[-2],
                            r.rule_arn,
                        ]
                    )
        if rows:
            click.echo()
            print_table(["LOAD BALANCER", "LISTENER", "RULE", "TARGET GROUP", "ARN"], rows)

    c.emit(resp, text)


@lb.command("delete")
@click.argument("name")
@common
def delete(name, endpoint, cluster, output) -> None:
    """Delete a load balancer (its proxies stop once their connections end)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_load_balancer(lb_pb2.DeleteLoadBalancerRequest(load_balancer_arn=name))
    c.emit(resp, lambda: click.echo(f"load balancer {name} deleted"))


@lb.command("create-listener")
@click.option("--load-balancer", "--load-balancer-arn", "load_balancer", required=True, help="name or ARN")
@click.option("--port", type=int, required=True)
@click.option("--protocol", required=True, help="HTTP or TCP")
@click.option("--default-target-group", required=True, help="name or ARN")
@common
def create_listener(load_balancer, port, protocol, default_target_group, endpoint, cluster, output) -> None:
    """Add a listener forwarding to a target group."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.create_listener(
        lb_pb2.CreateListenerRequest(
            load_balancer_arn=load_balancer,
            port=port,
            protocol=protocol,
            default_target_group_arn=default_target_group,
        )
    )
    c.emit(resp, lambda: click.echo(resp.listeners[0].listener_arn))


@lb.command("delete-listener")
@click.argument("listener_arn")
@common
def delete_listener(listener_arn, endpoint, cluster, output) -> None:
    """Delete a listener."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_listener(lb_pb2.DeleteListenerRequest(listener_arn=listener_arn))
    c.emit(resp, lambda: click.echo("listener deleted"))


@lb.command("create-rule")
@click.option("--listener-arn", required=True)
@click.option("--priority", type=int, required=True)
@click.option("--path-pattern", "paths", multiple=True, help="e.g. '/api/*' (repeatable)")
@click.option("--host-header", "hosts", multiple=True, help="e.g. 'api.example.com' (repeatable)")
@click.option("--target-group", required=True, help="name or ARN to forward to")
@common
def create_rule(listener_arn, priority, paths, hosts, target_group, endpoint, cluster, output) -> None:
    """Forward requests matching a path pattern and/or a host header to another target group."""
    c = ctx_of(endpoint, cluster, output)
    req = lb_pb2.CreateRuleRequest(
        listener_arn=listener_arn, priority=priority, target_group_arn=target_group
    )
    if paths:
        req.conditions.add(field="path-pattern", values=list(paths))
    if hosts:
        req.conditions.add(field="host-header", values=list(hosts))
    resp = c.client.create_rule(req)
    c.emit(resp, lambda: click.echo(resp.rules[0].rule_arn))


@lb.command("delete-rule")
@click.argument("rule_arn")
@common
def delete_rule(rule_arn, endpoint, cluster, output) -> None:
    """Delete a listener rule."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_rule(lb_pb2.DeleteRuleRequest(rule_arn=rule_arn))
    c.emit(resp, lambda: click.echo("rule deleted"))
