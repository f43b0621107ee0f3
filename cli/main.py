"""`shoal`: the command line client of the Shoal gRPC API (aws-cli style nouns, verbs and flags)."""

from __future__ import annotations

import difflib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import grpc
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

from shoal.v1 import api_pb2, api_pb2_grpc, ecs_pb2

# Wide consoles: piped output must not be wrapped mid-word.
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)

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


class Ctx:
    def __init__(self, endpoint: str, cluster: str, output: str) -> None:
        self.endpoint = endpoint
        self.cluster = cluster
        self.output = output
        self._stub: api_pb2_grpc.EcsStub | None = None

    @property
    def stub(self) -> api_pb2_grpc.EcsStub:
        if self._stub is None:
            self._stub = api_pb2_grpc.EcsStub(grpc.insecure_channel(self.endpoint))
        return self._stub

    def call(self, method: str, request: Message) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=60)
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNAVAILABLE:
                fail(f"cannot reach the Shoal manager at {self.endpoint} (set --endpoint or SHOAL_ENDPOINT)")
            fail(f"{exc.details()} ({code.name})")

    def emit(self, response: Message, table: Callable[[], None]) -> None:
        if self.output == "json":
            click.echo(to_json(response))
        else:
            table()


def to_json(msg: Message) -> str:
    return json_format.MessageToJson(msg, indent=2, ensure_ascii=False)


def fail(message: str, code: int = 1) -> None:
    err.print(f"error: {message}", markup=False)
    sys.exit(code)


def short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def ts(t: Any) -> str:
    return t.ToDatetime().strftime("%Y-%m-%d %H:%M:%S") if t.seconds else "-"


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    if not rows:
        return  # no header over nothing (failures, if any, follow on stderr)
    t = Table(show_edge=False, box=None, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*[str(x) for x in r])
    out.print(t)


def print_failures(failures: Any) -> None:
    for f in failures:
        target = f" {short(f.arn)}" if f.arn else ""
        err.print(f"failure{target}: {f.reason}: {f.detail}", markup=False)
        if f.eliminated:
            parts = ", ".join(f"{k} eliminated {v}" for k, v in sorted(f.eliminated.items()))
            err.print(f"  filters: {parts}", markup=False)


def load_json_arg(value: str, what: str) -> Any:
    """JSON given inline, as file://path, or as a path."""
    text = value
    if value.startswith("file://"):
        path = Path(value[len("file://") :])
        try:
            text = path.read_text()
        except OSError as exc:
            fail(f"cannot read {what} file {path}: {exc.strerror}", 2)
    elif not value.lstrip().startswith(("{", "[")) and Path(value).exists():
        text = Path(value).read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", 2)


_UNKNOWN_FIELD = re.compile(r'Message type "([\w.]+)" has no field named "([^"]+)" at "([^"]+)"')


def parse_into(data: Any, msg: Message, what: str) -> Message:
    try:
        return json_format.ParseDict(data, msg)
    except json_format.ParseError as exc:
        fail(f"{what}: {_explain_parse_error(str(exc))}", 2)
    return msg


def _explain_parse_error(text: str) -> str:
    """One line; for a misspelt field, the closest real name (protobuf lists all of them otherwise)."""
    m = _UNKNOWN_FIELD.search(text)
    if not m:
        return text.splitlines()[0]
    type_name, field, where = m.groups()
    try:
        names = [f.json_name for f in descriptor_pool.Default().FindMessageTypeByName(type_name).fields]
    except KeyError:
        names = []
    guess = difflib.get_close_matches(field, names, n=1)
    hint = f' (did you mean "{guess[0]}"?)' if guess else ""
    return f'unknown field "{field}" in {where}{hint}'


# -- root ------------------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--endpoint",
    envvar="SHOAL_ENDPOINT",
    default="127.0.0.1:7700",
    show_default=True,
    help="manager HOST:PORT (env SHOAL_ENDPOINT)",
)
@click.option(
    "--cluster",
    envvar="SHOAL_CLUSTER",
    default="default",
    show_default=True,
    help="cluster (env SHOAL_CLUSTER)",
)
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def cli(ctx: click.Context, endpoint: str, cluster: str, output: str) -> None:
    """Shoal: ECS-style container orchestration on your own VMs."""
    ctx.obj = Ctx(endpoint, cluster, output)


def common(f: Callable) -> Callable:
    """Let --endpoint/--cluster/--output also follow the subcommand, as aws-cli users type them."""
    f = click.option("--output", type=click.Choice(["table", "json"]), default=None, help="table or json")(f)
    f = click.option("--cluster", default=None, help="cluster name or ARN")(f)
    f = click.option("--endpoint", default=None, help="manager HOST:PORT")(f)
    return f


def ctx_of(endpoint: str | None, cluster: str | None, output: str | None) -> Ctx:
    c: Ctx = click.get_current_context().obj
    if endpoint:
        c.endpoint = endpoint
    if cluster:
        c.cluster = cluster
    if output:
        c.output = output
    return c


def one_of(positional: str | None, flag: str | None, argument: str, option: str) -> str:
    """The value given either way (positional, or the aws-cli option name)."""
    if positional and flag and positional != flag:
        raise click.UsageError(f"give {argument} or {option}, not both")
    value = positional or flag
    if not value:
        raise click.UsageError(f"missing {argument} (or {option})")
    return value


def some_of(
    positional: tuple[str, ...], flag: tuple[str, ...], argument: str, option: str
) -> tuple[str, ...]:
    values = (*positional, *(v for f in flag for v in f.split(",") if v))
    if not values:
        raise click.UsageError(f"missing {argument}… (or {option})")
    return values


# -- clusters --------------------------------------------------------------------------------------
@cli.group()
def cluster() -> None:
    """Create, list, describe and delete clusters."""


def _cluster_rows(clusters: Any) -> None:
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
def cluster_create(name: str | None, cluster_name: str | None, endpoint, cluster, output) -> None:
    """Create a cluster (default: the --cluster value)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "CreateCluster", api_pb2.CreateClusterRequest(cluster_name=name or cluster_name or c.cluster)
    )
    c.emit(resp, lambda: _cluster_rows([resp.cluster]))


@cluster.command("list")
@common
def cluster_list(endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("ListClusters", api_pb2.ListClustersRequest(max_results=1000))
    c.emit(resp, lambda: [click.echo(a) for a in resp.cluster_arns])


@cluster.command("describe")
@click.argument("names", nargs=-1)
@common
def cluster_describe(names: tuple[str, ...], endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DescribeClusters", api_pb2.DescribeClustersRequest(clusters=list(names) or [c.cluster]))
    c.emit(resp, lambda: _cluster_rows(resp.clusters))
    print_failures(resp.failures)
    if resp.failures:
        sys.exit(1)


@cluster.command("delete")
@click.argument("name", required=False)
@common
def cluster_delete(name: str | None, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DeleteCluster", api_pb2.DeleteClusterRequest(cluster=name or c.cluster))
    c.emit(resp, lambda: _cluster_rows([resp.cluster]))


# -- task definitions ------------------------------------------------------------------------------
@cli.group("task-definition")
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
                "no" if c.HasField("essential") and not c.essential else "yes",
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
def td_register(input_json: str | None, file: str | None, endpoint, cluster, output) -> None:
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
    dropped = [k for k in _TASK_DEFINITION_OUTPUT_FIELDS if data.pop(k, None) is not None]
    if dropped:
        err.print(f"note: ignored output-only fields: {', '.join(dropped)}", markup=False)
    for unit in ("cpu", "memory"):  # ECS accepts plain numbers for the task-level strings
        if isinstance(data.get(unit), int | float) and not isinstance(data.get(unit), bool):
            data[unit] = str(data[unit])
    td = parse_into(data, ecs_pb2.TaskDefinition(), "task definition")
    tag_msgs = [parse_into(t, ecs_pb2.Tag(), "tags") for t in tags] if isinstance(tags, list) else []
    resp = c.call(
        "RegisterTaskDefinition", api_pb2.RegisterTaskDefinitionRequest(task_definition=td, tags=tag_msgs)
    )
    c.emit(resp, lambda: _td_table(resp.task_definition))
    for w in resp.warnings:
        err.print(f"warning: {w}", markup=False)


@task_definition.command("describe")
@click.argument("ref")
@common
def td_describe(ref: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DescribeTaskDefinition", api_pb2.DescribeTaskDefinitionRequest(task_definition=ref))
    c.emit(resp, lambda: _td_table(resp.task_definition))


@task_definition.command("list")
@click.option("--family", "--family-prefix", "family", default="")
@click.option("--status", default=None, type=click.Choice(["ACTIVE", "INACTIVE"], case_sensitive=False))
@click.option("--sort", default=None, type=click.Choice(["ASC", "DESC"], case_sensitive=False))
@common
def td_list(family: str, status: str, sort: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListTaskDefinitions",
        api_pb2.ListTaskDefinitionsRequest(family_prefix=family, status=status, sort=sort, max_results=1000),
    )
    c.emit(resp, lambda: [click.echo(a) for a in resp.task_definition_arns])


@task_definition.command("families")
@click.option("--family-prefix", default="")
@click.option(
    "--status", default=None, type=click.Choice(["ACTIVE", "INACTIVE", "ALL"], case_sensitive=False)
)
@common
def td_families(family_prefix: str, status: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListTaskDefinitionFamilies",
        api_pb2.ListTaskDefinitionFamiliesRequest(
            family_prefix=family_prefix, status=status, max_results=1000
        ),
    )
    c.emit(resp, lambda: [click.echo(f) for f in resp.families])


@task_definition.command("deregister")
@click.argument("ref")
@common
def td_deregister(ref: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DeregisterTaskDefinition", api_pb2.DeregisterTaskDefinitionRequest(task_definition=ref))
    c.emit(resp, lambda: _td_table(resp.task_definition))


# -- container instances ---------------------------------------------------------------------------
@cli.group()
def instance() -> None:
    """List, describe, drain, activate and deregister container instances."""


def _resource(resources: Any, name: str) -> int:
    for r in resources:
        if r.name == name:
            return r.integer_value
    return 0


def _instance_rows(instances: Any) -> None:
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
@common
def instance_list(status: str, filter_: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListContainerInstances",
        api_pb2.ListContainerInstancesRequest(
            cluster=c.cluster, status=status, filter=filter_, max_results=1000
        ),
    )
    if c.output == "json" or not resp.container_instance_arns:
        c.emit(resp, lambda: None)
        return
    desc = c.call(
        "DescribeContainerInstances",
        api_pb2.DescribeContainerInstancesRequest(
            cluster=c.cluster, container_instances=list(resp.container_instance_arns)
        ),
    )
    _instance_rows(desc.container_instances)


@instance.command("describe")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_describe(ids: tuple[str, ...], endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "DescribeContainerInstances",
        api_pb2.DescribeContainerInstancesRequest(cluster=c.cluster, container_instances=list(ids)),
    )
    c.emit(resp, lambda: _instance_rows(resp.container_instances))
    print_failures(resp.failures)
    if resp.failures:
        sys.exit(1)


def _set_state(ids: tuple[str, ...], status: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "UpdateContainerInstancesState",
        api_pb2.UpdateContainerInstancesStateRequest(
            cluster=c.cluster, container_instances=list(ids), status=status
        ),
    )
    c.emit(resp, lambda: _instance_rows(resp.container_instances))
    print_failures(resp.failures)
    if resp.failures:
        sys.exit(1)


@instance.command("drain")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_drain(ids: tuple[str, ...], endpoint, cluster, output) -> None:
    _set_state(ids, "DRAINING", endpoint, cluster, output)


@instance.command("activate")
@click.argument("ids", nargs=-1, required=True)
@common
def instance_activate(ids: tuple[str, ...], endpoint, cluster, output) -> None:
    _set_state(ids, "ACTIVE", endpoint, cluster, output)


@instance.command("deregister")
@click.argument("instance_id")
@click.option("--force", is_flag=True, help="deregister even with tasks on it (they are marked STOPPED)")
@common
def instance_deregister(instance_id: str, force: bool, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "DeregisterContainerInstance",
        api_pb2.DeregisterContainerInstanceRequest(
            cluster=c.cluster, container_instance=instance_id, force=force
        ),
    )
    c.emit(resp, lambda: _instance_rows([resp.container_instance]))


# -- attributes ------------------------------------------------------------------------------------
@cli.group()
def attribute() -> None:
    """Put, delete and list custom attributes of container instances."""


def _attrs(target: str, pairs: tuple[str, ...]) -> list[ecs_pb2.Attribute]:
    out = []
    for p in pairs:
        name, sep, value = p.partition("=")
        out.append(
            ecs_pb2.Attribute(
                name=name, value=value if sep else "", target_type="container-instance", target_id=target
            )
        )
    return out


def _attr_rows(attrs: Any) -> None:
    print_table(["INSTANCE", "NAME", "VALUE"], [[short(a.target_id), a.name, a.value or "-"] for a in attrs])


@attribute.command("put")
@click.option("--target", required=True, help="container instance id or ARN")
@click.argument("pairs", nargs=-1, required=True)
@common
def attribute_put(target: str, pairs: tuple[str, ...], endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "PutAttributes", api_pb2.PutAttributesRequest(cluster=c.cluster, attributes=_attrs(target, pairs))
    )
    c.emit(resp, lambda: _attr_rows(resp.attributes))


@attribute.command("delete")
@click.option("--target", required=True, help="container instance id or ARN")
@click.argument("pairs", nargs=-1, required=True)
@common
def attribute_delete(target: str, pairs: tuple[str, ...], endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "DeleteAttributes",
        api_pb2.DeleteAttributesRequest(cluster=c.cluster, attributes=_attrs(target, pairs)),
    )
    c.emit(resp, lambda: _attr_rows(resp.attributes))


@attribute.command("list")
@click.option("--name", default="")
@click.option("--value", default="")
@common
def attribute_list(name: str, value: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListAttributes",
        api_pb2.ListAttributesRequest(
            cluster=c.cluster, target_type="container-instance", attribute_name=name, attribute_value=value
        ),
    )
    c.emit(resp, lambda: _attr_rows(resp.attributes))


# -- tasks -----------------------------------------------------------------------------------------
@cli.group()
def task() -> None:
    """Run, start, stop, list, describe and wait for tasks."""


def _task_rows(tasks: Any) -> None:
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


def _json_list(value: str | None, what: str) -> list:
    if not value:
        return []
    data = load_json_arg(value, what)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        fail(f"{what} must be a JSON list of objects", 2)
    return data


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
    endpoint,
    cluster,
    output,
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
    )
    for s in _json_list(placement_strategy, "--placement-strategy"):
        req.placement_strategy.append(parse_into(s, ecs_pb2.PlacementStrategy(), "--placement-strategy"))
    for s in _json_list(placement_constraints, "--placement-constraints"):
        req.placement_constraints.append(
            parse_into(s, ecs_pb2.PlacementConstraint(), "--placement-constraints")
        )
    if overrides:
        parse_into(load_json_arg(overrides, "--overrides"), req.overrides, "--overrides")
    resp = c.call("RunTask", req)
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
@click.argument("more_instances", nargs=-1, metavar="")
@common
def task_start(
    task_definition: str,
    instances: tuple[str, ...],
    group: str,
    started_by: str,
    more_instances: tuple[str, ...],
    endpoint,
    cluster,
    output,
) -> None:
    """Start tasks on the named instances (ECS StartTask)."""
    c = ctx_of(endpoint, cluster, output)
    ids = [x for v in (*instances, *more_instances) for x in v.split(",") if x]
    resp = c.call(
        "StartTask",
        api_pb2.StartTaskRequest(
            cluster=c.cluster,
            task_definition=task_definition,
            container_instances=ids,
            group=group,
            started_by=started_by,
        ),
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
def task_stop(task_id: str | None, task_flag: str | None, reason: str, endpoint, cluster, output) -> None:
    task_id = one_of(task_id, task_flag, "TASK", "--task")
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("StopTask", api_pb2.StopTaskRequest(cluster=c.cluster, task=task_id, reason=reason))
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
@common
def task_list(
    container_instance: str,
    family: str,
    service_name: str,
    desired_status: str,
    started_by: str,
    endpoint,
    cluster,
    output,
) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListTasks",
        api_pb2.ListTasksRequest(
            cluster=c.cluster,
            container_instance=container_instance,
            family=family,
            service_name=service_name,
            desired_status=desired_status,
            started_by=started_by,
            max_results=1000,
        ),
    )
    c.emit(resp, lambda: [click.echo(a) for a in resp.task_arns])


@task.command("describe")
@click.argument("ids", nargs=-1)
@click.option("--tasks", "tasks_flag", multiple=True, help="tasks, aws-cli spelling")
@common
def task_describe(ids: tuple[str, ...], tasks_flag: tuple[str, ...], endpoint, cluster, output) -> None:
    ids = some_of(ids, tasks_flag, "ID", "--tasks")
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DescribeTasks", api_pb2.DescribeTasksRequest(cluster=c.cluster, tasks=list(ids)))
    c.emit(resp, lambda: _task_rows(resp.tasks))
    print_failures(resp.failures)
    if resp.failures:
        sys.exit(1)


@task.command("wait")
@click.argument("state", type=click.Choice(["running", "stopped"]))
@click.argument("ids", nargs=-1, required=True)
@click.option("--timeout", type=float, default=300, show_default=True, help="seconds")
@common
def task_wait(state: str, ids: tuple[str, ...], timeout: float, endpoint, cluster, output) -> None:
    """Wait until every task is RUNNING (or STOPPED), showing what is still awaited."""
    c = ctx_of(endpoint, cluster, output)
    target = state.upper()
    deadline = time.monotonic() + timeout
    last_line = ""
    while True:
        resp = c.call("DescribeTasks", api_pb2.DescribeTasksRequest(cluster=c.cluster, tasks=list(ids)))
        if resp.failures:
            print_failures(resp.failures)
            sys.exit(1)
        waiting = [t for t in resp.tasks if t.last_status != target]
        if target == "RUNNING":
            stopped = [t for t in resp.tasks if t.last_status == "STOPPED"]
            if stopped:
                for t in stopped:
                    reasons = "; ".join(f"{x.name}: {x.reason}" for x in t.containers if x.reason)
                    err.print(
                        f"task {short(t.task_arn)} STOPPED ({t.stop_code}): {t.stopped_reason}"
                        + (f" [{reasons}]" if reasons else ""),
                        markup=False,
                    )
                sys.exit(1)
        if not waiting:
            err.print(f"all {len(resp.tasks)} task(s) {target}", markup=False)
            c.emit(resp, lambda done=resp: _task_rows(done.tasks))
            return
        line = (
            "waiting for "
            + ", ".join(f"{short(t.task_arn)[:12]} ({t.last_status})" for t in waiting)
            + f" to be {target}"
        )
        if line != last_line:
            err.print(line, markup=False)
            last_line = line
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout:g}s; still {line[len('waiting for ') :]}")
        time.sleep(0.25)


# -- services --------------------------------------------------------------------------------------
@cli.group()
def service() -> None:
    """Create, update, delete, describe and list services, and follow their events."""


def _service_rows(services: Any) -> None:
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


def _deployment_configuration(value: str | None, msg: Any) -> None:
    if value:
        parse_into(load_json_arg(value, "--deployment-configuration"), msg, "--deployment-configuration")


def _placement_into(strategy: str | None, constraints: str | None, req: Any) -> None:
    for s in _json_list(strategy, "--placement-strategy"):
        req.placement_strategy.append(parse_into(s, ecs_pb2.PlacementStrategy(), "--placement-strategy"))
    for s in _json_list(constraints, "--placement-constraints"):
        req.placement_constraints.append(
            parse_into(s, ecs_pb2.PlacementConstraint(), "--placement-constraints")
        )


def service_settings(f: Callable) -> Callable:
    """Options CreateService and UpdateService share, with the aws-cli names."""
    f = click.option("--health-check-grace-period-seconds", type=int, default=None)(f)
    f = click.option(
        "--deployment-configuration",
        default=None,
        help='JSON: {"maximumPercent":200,"minimumHealthyPercent":100,'
        '"deploymentCircuitBreaker":{"enable":true,"rollback":true}}',
    )(f)
    f = click.option("--placement-constraints", default=None, help="JSON list")(f)
    f = click.option("--placement-strategy", default=None, help="JSON list")(f)
    return click.option("--desired-count", type=int, default=None)(f)


def _apply_settings(req: Any, settings: dict[str, Any]) -> None:
    if settings["desired_count"] is not None:
        req.desired_count = settings["desired_count"]
    if settings["health_check_grace_period_seconds"] is not None:
        req.health_check_grace_period_seconds = settings["health_check_grace_period_seconds"]
    _placement_into(settings["placement_strategy"], settings["placement_constraints"], req)
    if settings["deployment_configuration"]:
        _deployment_configuration(settings["deployment_configuration"], req.deployment_configuration)


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
    endpoint,
    cluster,
    output,
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
    resp = c.call("CreateService", req)
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
    endpoint,
    cluster,
    output,
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
    resp = c.call("UpdateService", req)
    c.emit(resp, lambda: _service_rows([resp.service]))


@service.command("delete")
@click.argument("name", required=False)
@click.option("--service", "service_flag", default=None, help="the service, aws-cli spelling")
@click.option("--force", is_flag=True, help="delete even with desiredCount > 0 (its tasks are stopped)")
@common
def service_delete(
    name: str | None, service_flag: str | None, force: bool, endpoint, cluster, output
) -> None:
    name = one_of(name, service_flag, "NAME", "--service")
    c = ctx_of(endpoint, cluster, output)
    resp = c.call("DeleteService", api_pb2.DeleteServiceRequest(cluster=c.cluster, service=name, force=force))
    c.emit(resp, lambda: _service_rows([resp.service]))


@service.command("describe")
@click.argument("names", nargs=-1)
@click.option("--services", "services_flag", multiple=True, help="services, aws-cli spelling")
@common
def service_describe(
    names: tuple[str, ...], services_flag: tuple[str, ...], endpoint, cluster, output
) -> None:
    names = some_of(names, services_flag, "NAME", "--services")
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "DescribeServices", api_pb2.DescribeServicesRequest(cluster=c.cluster, services=list(names))
    )
    c.emit(resp, lambda: _service_rows(resp.services))
    print_failures(resp.failures)
    if resp.failures:
        sys.exit(1)


@service.command("list")
@click.option(
    "--scheduling-strategy", type=click.Choice(["REPLICA", "DAEMON"], case_sensitive=False), default=None
)
@common
def service_list(scheduling_strategy: str, endpoint, cluster, output) -> None:
    c = ctx_of(endpoint, cluster, output)
    resp = c.call(
        "ListServices",
        api_pb2.ListServicesRequest(
            cluster=c.cluster, scheduling_strategy=scheduling_strategy, max_results=1000
        ),
    )
    c.emit(resp, lambda: [click.echo(a) for a in resp.service_arns])


@service.command("events")
@click.argument("name")
@click.option("--follow", is_flag=True, help="keep printing new events")
@common
def service_events(name: str, follow: bool, endpoint, cluster, output) -> None:
    """Service events, oldest first (--follow keeps printing new ones)."""
    c = ctx_of(endpoint, cluster, output)
    seen: set[str] = set()
    while True:
        resp = c.call("DescribeServices", api_pb2.DescribeServicesRequest(cluster=c.cluster, services=[name]))
        if resp.failures:
            print_failures(resp.failures)
            sys.exit(1)
        for ev in reversed(resp.services[0].events):
            if ev.id in seen:
                continue
            seen.add(ev.id)
            if c.output == "json":
                click.echo(json_format.MessageToJson(ev, indent=None))
            else:
                click.echo(f"{ts(ev.created_at)}  {ev.message}")
        if not follow:
            return
        if resp.services[0].status == "INACTIVE":
            return  # deleted: nothing more will happen
        time.sleep(1)


@cli.group("wait")
def wait_group() -> None:
    """Wait for services to be stable."""


@wait_group.command("services-stable")
@click.argument("names", nargs=-1, required=True)
@click.option("--timeout", type=float, default=600, show_default=True, help="seconds")
@common
def wait_services_stable(names: tuple[str, ...], timeout: float, endpoint, cluster, output) -> None:
    """Wait until each service runs desiredCount tasks in a single deployment; shows progress."""
    c = ctx_of(endpoint, cluster, output)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        resp = c.call(
            "DescribeServices", api_pb2.DescribeServicesRequest(cluster=c.cluster, services=list(names))
        )
        if resp.failures:
            print_failures(resp.failures)
            sys.exit(1)
        pending = []
        for sv in resp.services:
            stable = (
                len(sv.deployments) == 1
                and sv.running_count == sv.desired_count
                and sv.deployments[0].rollout_state != "IN_PROGRESS"
            ) or (
                len(sv.deployments) == 1
                and sv.scheduling_strategy == "DAEMON"
                and sv.deployments[0].rollout_state == "COMPLETED"
            )
            if sv.status == "INACTIVE":
                fail(f"service {sv.service_name} is INACTIVE (deleted); it will never be stable")
            if not stable:
                progress = ", ".join(
                    f"{d.status.lower()} {d.task_definition.rsplit('/', 1)[-1]} "
                    f"{d.running_count}/{d.desired_count} running"
                    + (f" {d.pending_count} pending" if d.pending_count else "")
                    + (f" {d.failed_tasks} failed" if d.failed_tasks else "")
                    + (f" [{d.rollout_state}]" if d.rollout_state else "")
                    for d in sv.deployments
                )
                pending.append(f"{sv.service_name}: {progress}")
        if not pending:
            err.print(f"{len(resp.services)} service(s) stable", markup=False)
            return
        line = "waiting for " + "; ".join(pending)
        if line != last:
            err.print(line, markup=False)
            last = line
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout:g}s; {'; '.join(pending)}")
        time.sleep(0.5)


def main() -> None:
    """Run the CLI; usage mistakes are one line on stderr and exit code 2, like every other error."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(2)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "shoal"
        fail(f"{exc.format_message()} (see '{where} --help')", 2)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.exit(130)


if __name__ == "__main__":
    main()
