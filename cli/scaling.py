"""`shoal scaling`: service auto scaling (targets, policies, scheduled actions, activities)."""

from __future__ import annotations

from collections.abc import Iterable

import click
from google.protobuf import timestamp_pb2

from shoal.cli._common import common, ctx_of, load_json_arg, parse_into
from shoal.cli.output import fail, print_table, ts
from shoal.v1 import scaling_pb2


def _service_opt(f):
    return click.option("--service", "service", required=True, help="service name or ARN")(f)


@click.group("scaling")
def scaling() -> None:
    """Service auto scaling: targets, target tracking and step policies, scheduled actions."""


def _targets(items: Iterable[scaling_pb2.ScalableTarget]) -> None:
    def suspended(t: scaling_pb2.ScalableTarget) -> str:
        s = t.suspended_state
        names = [
            n
            for n, on in (
                ("in", s.dynamic_scaling_in_suspended),
                ("out", s.dynamic_scaling_out_suspended),
                ("scheduled", s.scheduled_scaling_suspended),
            )
            if on
        ]
        return ",".join(names) or "-"

    print_table(
        ["RESOURCE", "MIN", "MAX", "SUSPENDED", "CREATED"],
        [[t.resource_id, t.min_capacity, t.max_capacity, suspended(t), ts(t.creation_time)] for t in items],
    )


@scaling.command("register-target")
@_service_opt
@click.option("--min-capacity", type=int, default=None, help="lowest desiredCount the scaler may set")
@click.option("--max-capacity", type=int, default=None, help="highest desiredCount the scaler may set")
@click.option(
    "--suspended-state",
    default=None,
    help='JSON (inline or file://): {"DynamicScalingInSuspended": true, ...}',
)
@common
def register_target(
    service: str,
    min_capacity: int | None,
    max_capacity: int | None,
    suspended_state: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Register a service as a scalable target (RegisterScalableTarget); again to change it."""
    c = ctx_of(endpoint, cluster, output)
    req = scaling_pb2.RegisterScalableTargetRequest(cluster=c.cluster, service=service)
    if min_capacity is not None:
        req.min_capacity = min_capacity
    if max_capacity is not None:
        req.max_capacity = max_capacity
    if suspended_state:
        parse_into(
            load_json_arg(suspended_state, "--suspended-state"), req.suspended_state, "--suspended-state"
        )
    resp = c.client.register_scalable_target(req)
    c.emit(resp, lambda: _targets([resp.scalable_target]))


@scaling.command("describe-targets")
@click.option("--service", "services", multiple=True, help="only these services (repeatable)")
@common
def describe_targets(
    services: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """The cluster's scalable targets."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_scalable_targets(
        scaling_pb2.DescribeScalableTargetsRequest(cluster=c.cluster, services=list(services))
    )
    c.emit(resp, lambda: _targets(resp.scalable_targets))


@scaling.command("deregister-target")
@_service_opt
@common
def deregister_target(service: str, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    """Stop scaling a service: its target, policies and scheduled actions go."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.deregister_scalable_target(
        scaling_pb2.DeregisterScalableTargetRequest(cluster=c.cluster, service=service)
    )
    c.emit(resp, lambda: click.echo(f"scalable target of service {service} deregistered"))


def _policies(items: Iterable[scaling_pb2.ScalingPolicy]) -> None:
    def what(p: scaling_pb2.ScalingPolicy) -> str:
        if p.policy_type == "TargetTrackingScaling":
            cfg = p.target_tracking_scaling_policy_configuration
            metric = (
                cfg.predefined_metric_specification.predefined_metric_type
                or cfg.customized_metric_specification.metric_name
            )
            return f"{metric} at {cfg.target_value:g}"
        cfg = p.step_scaling_policy_configuration
        alarms = ",".join(a.alarm_name for a in p.alarms) or "no alarm"
        return f"{cfg.adjustment_type} x{len(cfg.step_adjustments)} on {alarms}"

    print_table(
        ["POLICY", "TYPE", "RESOURCE", "WHAT"],
        [[p.policy_name, p.policy_type, p.resource_id, what(p)] for p in items],
    )


@scaling.command("put-policy")
@_service_opt
@click.option("--policy-name", required=True)
@click.option("--policy-type", required=True, type=click.Choice(["TargetTrackingScaling", "StepScaling"]))
@click.option(
    "--target-tracking-scaling-policy-configuration",
    "tt",
    default=None,
    help="TargetTrackingScalingPolicyConfiguration JSON, inline or file://tt.json",
)
@click.option(
    "--step-scaling-policy-configuration",
    "step",
    default=None,
    help="StepScalingPolicyConfiguration JSON, inline or file://step.json",
)
@click.option(
    "--alarm-name",
    "alarm_names",
    multiple=True,
    help="StepScaling: an alarm (shoal alarm put) that invokes the policy (repeatable)",
)
@common
def put_policy(
    service: str,
    policy_name: str,
    policy_type: str,
    tt: str | None,
    step: str | None,
    alarm_names: tuple[str, ...],
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Create or replace a scaling policy (PutScalingPolicy)."""
    if bool(tt) == bool(step):
        raise click.UsageError(
            "give one of --target-tracking-scaling-policy-configuration and "
            "--step-scaling-policy-configuration"
        )
    c = ctx_of(endpoint, cluster, output)
    req = scaling_pb2.PutScalingPolicyRequest(
        cluster=c.cluster,
        service=service,
        policy_name=policy_name,
        policy_type=policy_type,
        alarm_names=list(alarm_names),
    )
    if tt:
        what = "--target-tracking-scaling-policy-configuration"
        parse_into(load_json_arg(tt, what), req.target_tracking_scaling_policy_configuration, what)
    else:
        what = "--step-scaling-policy-configuration"
        parse_into(load_json_arg(step or "", what), req.step_scaling_policy_configuration, what)
    resp = c.client.put_scaling_policy(req)
    c.emit(resp, lambda: click.echo(resp.policy.policy_arn))


@scaling.command("describe-policies")
@click.option("--service", default="", help="only this service's policies")
@click.option("--policy-names", "names", multiple=True)
@common
def describe_policies(
    service: str, names: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Scaling policies of a service (or of every service of the cluster)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_scaling_policies(
        scaling_pb2.DescribeScalingPoliciesRequest(
            cluster=c.cluster, service=service, policy_names=[n for v in names for n in v.split(",") if n]
        )
    )
    c.emit(resp, lambda: _policies(resp.scaling_policies))


@scaling.command("delete-policy")
@_service_opt
@click.option("--policy-name", required=True)
@common
def delete_policy(
    service: str, policy_name: str, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Delete a scaling policy."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_scaling_policy(
        scaling_pb2.DeleteScalingPolicyRequest(cluster=c.cluster, service=service, policy_name=policy_name)
    )
    c.emit(resp, lambda: click.echo(f"policy {policy_name} deleted"))


def _target_action(value: str) -> scaling_pb2.ScalableTargetAction:
    """aws-cli shorthand `MinCapacity=1,MaxCapacity=5`, or JSON."""
    act = scaling_pb2.ScalableTargetAction()
    if value.lstrip().startswith("{") or value.startswith("file://"):
        return parse_into(load_json_arg(value, "--scalable-target-action"), act, "--scalable-target-action")
    for part in value.split(","):
        key, sep, number = part.partition("=")
        if not sep or key.strip() not in ("MinCapacity", "MaxCapacity"):
            fail(f"--scalable-target-action: expected MinCapacity=N,MaxCapacity=M, got {part[:60]!r}", 2)
        try:
            n = int(number)
        except ValueError:
            fail(f"--scalable-target-action: {key.strip()} must be a whole number, got {number[:30]!r}", 2)
        if key.strip() == "MinCapacity":
            act.min_capacity = n
        else:
            act.max_capacity = n
    return act


def _time(value: str | None, what: str) -> timestamp_pb2.Timestamp | None:
    if not value:
        return None
    t = timestamp_pb2.Timestamp()
    try:
        t.FromJsonString(value if value.endswith("Z") or "+" in value[10:] else value + "Z")
    except ValueError:
        fail(f"{what}: {value[:40]!r} is not a time like 2026-12-24T18:00:00Z", 2)
    return t


def _actions(items: Iterable[scaling_pb2.ScheduledAction]) -> None:
    def bounds(a: scaling_pb2.ScheduledAction) -> str:
        act = a.scalable_target_action
        parts = []
        if act.HasField("min_capacity"):
            parts.append(f"min {act.min_capacity}")
        if act.HasField("max_capacity"):
            parts.append(f"max {act.max_capacity}")
        return ", ".join(parts)

    print_table(
        ["ACTION", "SCHEDULE", "TIMEZONE", "SETS", "NEXT RUN"],
        [
            [a.scheduled_action_name, a.schedule, a.timezone, bounds(a), ts(a.next_run_time) or "-"]
            for a in items
        ],
    )


@scaling.command("put-scheduled-action")
@_service_opt
@click.option("--scheduled-action-name", required=True)
@click.option(
    "--schedule", required=True, help='"cron(0 8 * * ? *)", "rate(5 minutes)" or "at(2026-12-24T18:00:00)"'
)
@click.option("--timezone", default="", help="IANA time zone of the schedule (default UTC)")
@click.option("--scalable-target-action", "target_action", required=True, help="MinCapacity=N,MaxCapacity=M")
@click.option(
    "--start-time", default=None, help="not before this time (ISO 8601, UTC unless an offset is given)"
)
@click.option("--end-time", default=None, help="not after this time")
@common
def put_scheduled_action(
    service: str,
    scheduled_action_name: str,
    schedule: str,
    timezone: str,
    target_action: str,
    start_time: str | None,
    end_time: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Create or replace a scheduled action that sets MinCapacity/MaxCapacity at its times."""
    c = ctx_of(endpoint, cluster, output)
    req = scaling_pb2.PutScheduledActionRequest(
        cluster=c.cluster,
        service=service,
        scheduled_action_name=scheduled_action_name,
        schedule=schedule,
        timezone=timezone,
        scalable_target_action=_target_action(target_action),
    )
    if (start := _time(start_time, "--start-time")) is not None:
        req.start_time.CopyFrom(start)
    if (end := _time(end_time, "--end-time")) is not None:
        req.end_time.CopyFrom(end)
    resp = c.client.put_scheduled_action(req)
    c.emit(resp, lambda: _actions([resp.scheduled_action]))


@scaling.command("describe-scheduled-actions")
@click.option("--service", default="")
@click.option("--scheduled-action-names", "names", multiple=True)
@common
def describe_scheduled_actions(
    service: str, names: tuple[str, ...], endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Scheduled actions with their next run."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_scheduled_actions(
        scaling_pb2.DescribeScheduledActionsRequest(
            cluster=c.cluster,
            service=service,
            scheduled_action_names=[n for v in names for n in v.split(",") if n],
        )
    )
    c.emit(resp, lambda: _actions(resp.scheduled_actions))


@scaling.command("delete-scheduled-action")
@_service_opt
@click.option("--scheduled-action-name", required=True)
@common
def delete_scheduled_action(
    service: str, scheduled_action_name: str, endpoint: str | None, cluster: str | None, output: str | None
) -> None:
    """Delete a scheduled action."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_scheduled_action(
        scaling_pb2.DeleteScheduledActionRequest(
            cluster=c.cluster, service=service, scheduled_action_name=scheduled_action_name
        )
    )
    c.emit(resp, lambda: click.echo(f"scheduled action {scheduled_action_name} deleted"))


@scaling.command("describe-activities")
@_service_opt
@click.option("--max-results", type=int, default=50)
@click.option("--starting-token", default="", help="the NextToken printed by an earlier listing: older ones")
@click.option(
    "--include-not-scaled-activities/--exclude-not-scaled-activities",
    default=True,
    help="with the decisions that could not act, and why (default: included)",
)
@common
def describe_activities(
    service: str,
    max_results: int,
    starting_token: str,
    include_not_scaled_activities: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """A service's scaling activities, newest first, each with its cause."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_scaling_activities(
        scaling_pb2.DescribeScalingActivitiesRequest(
            cluster=c.cluster,
            service=service,
            max_results=max_results,
            include_not_scaled_activities=include_not_scaled_activities,
            next_token=starting_token,
        )
    )

    def table() -> None:
        print_table(
            ["TIME", "STATUS", "CAUSE"],
            [[ts(a.start_time), a.status_code, a.cause] for a in resp.scaling_activities],
        )
        if resp.next_token:
            click.echo(f"NextToken: {resp.next_token}", err=True)

    c.emit(resp, table)
