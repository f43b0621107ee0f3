"""Task definition rules: validation, unit normalisation, reservations and port needs (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import Message

from shoal.core.arns import NAME_RE
from shoal.core.errors import InvalidArgument, Problems, quote
from shoal.core.logs import DOCKER_LOG_DRIVERS, SHOAL_LOG_DRIVERS
from shoal.core.secret_refs import parse_value_from
from shoal.v1 import ecs_pb2

MAX_CONTAINERS = 10
MAX_DOCUMENT_BYTES = 64 * 1024
MIN_CONTAINER_MEMORY_MIB = 6
NETWORK_MODES = ("bridge", "host", "none", "awsvpc")
DEPENDENCY_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
# A log driver's name as Docker spells plugins and drivers.
_LOG_DRIVER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
DEVICE_PERMISSIONS = ("read", "write", "mknod")

# Fields kept and returned but not acted on: (JSON name, why).
_IGNORED_TASK_FIELDS = {
    "task_role_arn": "taskRoleArn is kept but not used (Shoal has no IAM)",
    "execution_role_arn": "executionRoleArn is kept but not used (Shoal has no IAM)",
    "runtime_platform": "runtimePlatform is kept but not used (tasks run on the agent's platform)",
    "ephemeral_storage": "ephemeralStorage is kept but not used",
    "proxy_configuration": "proxyConfiguration is kept but not used",
    "inference_accelerators": "inferenceAccelerators is kept but not used",
    "pid_mode": "pidMode is kept but not used",
    "ipc_mode": "ipcMode is kept but not used",
    "enable_fault_injection": "enableFaultInjection is kept but not used",
}
_IGNORED_CONTAINER_FIELDS = {
    "repository_credentials": "repositoryCredentials are kept; the engine pulls with its own credentials",
    "environment_files": "environmentFiles are kept but not loaded",
    "restart_policy": "restartPolicy is kept but not used (the whole task stops on an essential exit)",
    "system_controls": "systemControls are kept but not used",
    "resource_requirements": "resourceRequirements (GPU) are kept but not used",
    "docker_security_options": "dockerSecurityOptions are kept but not used",
    "firelens_configuration": "firelensConfiguration is kept but not used",
    "credential_specs": "credentialSpecs are kept but not used",
}

# ASCII digits and few of them (used with fullmatch): `\d` takes any Unicode digit, and a number of
# hundreds of digits becomes an infinite float.
_NUMBER = r"([0-9]{1,9}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})"
_CPU_RE = re.compile(r"\s*" + _NUMBER + r"\s*(vcpu)?\s*", re.IGNORECASE | re.ASCII)
_MEM_RE = re.compile(r"\s*" + _NUMBER + r"\s*(mb|mib|gb|gib)?\s*", re.IGNORECASE | re.ASCII)
MAX_OVERRIDES_CHARS = 8192  # ECS: "a total of 8192 characters are allowed for overrides"
TASK_CPU_RANGE = (128, 196608)
TASK_MEMORY_RANGE = (MIN_CONTAINER_MEMORY_MIB, 8 * 1024 * 1024)
CONTAINER_CPU_MAX = 262144
_ENV_NAME_RE = re.compile(r"[^=\x00]{1,255}")


def parse_cpu(value: str, field: str) -> int:
    """CPU units from ECS strings: "512", "0.5 vCPU", "1 vCPU"."""
    m = _CPU_RE.fullmatch(value)
    if not m:
        raise InvalidArgument(field, f'{quote(value)} is not a CPU amount (e.g. "512" or "0.5 vCPU")')
    number = float(m.group(1))
    units = number * 1024 if m.group(2) else number
    if units != int(units):
        raise InvalidArgument(field, f"{quote(value)} is not a whole number of CPU units")
    return int(units)


def parse_memory(value: str, field: str) -> int:
    """MiB from ECS strings: "1024", "1 GB", "2GB"."""
    m = _MEM_RE.fullmatch(value)
    if not m:
        raise InvalidArgument(field, f'{quote(value)} is not a memory amount (e.g. "1024" or "2 GB")')
    number = float(m.group(1))
    unit = (m.group(2) or "").lower()
    mib = number * 1024 if unit in ("gb", "gib") else number
    if mib != int(mib):
        raise InvalidArgument(field, f"{quote(value)} is not a whole number of MiB")
    return int(mib)


def _check_range(value: int, low: int, high: int, field: str) -> None:
    if not low <= value <= high:
        raise InvalidArgument(field, f"must be between {low} and {high}, got {value}")


def is_essential(c: ecs_pb2.ContainerDefinition) -> bool:
    """ECS default: a container is essential unless it says otherwise."""
    return c.essential if c.HasField("essential") else True


def has_health_check(c: ecs_pb2.ContainerDefinition) -> bool:
    """A healthCheck that runs (["NONE"] turns the image's own check off)."""
    return bool(c.health_check.command) and c.health_check.command[0] != "NONE"


def validate_task_definition(td: ecs_pb2.TaskDefinition) -> list[str]:
    """Validate and normalise a task definition in place; return warnings for fields Shoal doesn't act on.

    Every problem of the document is reported at once (one InvalidArgument listing them all).
    """
    warnings: list[str] = []
    size = len(json_format.MessageToJson(td, indent=None).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidArgument(
            "taskDefinition", f"is {size} bytes; the limit is {MAX_DOCUMENT_BYTES} (64 KiB)"
        )
    p = Problems()
    for path in nul_fields(td)[:5]:
        with p.check():
            raise InvalidArgument(path, "must not contain NUL characters")
    with p.check():
        if not td.family:
            raise InvalidArgument("family", "is required")
        if not NAME_RE.fullmatch(td.family):
            raise InvalidArgument("family", f"{quote(td.family)} must be 1-255 letters, digits, '-' or '_'")
    n = len(td.container_definitions)
    with p.check():
        if n == 0:
            raise InvalidArgument("containerDefinitions", "must contain at least one container")
        if n > MAX_CONTAINERS:
            raise InvalidArgument(
                "containerDefinitions", f"has {n} containers; the limit is {MAX_CONTAINERS}"
            )
    mode = td.network_mode or "bridge"
    with p.check():
        if mode not in NETWORK_MODES:
            raise InvalidArgument("networkMode", f"{quote(mode)} is not one of {', '.join(NETWORK_MODES)}")
    if mode == "awsvpc":
        warnings.append("networkMode awsvpc runs as bridge: each task gets dynamic host ports")
    with p.check():
        if td.cpu:
            task_cpu = parse_cpu(td.cpu, "cpu")
            _check_range(task_cpu, *TASK_CPU_RANGE, "cpu")
            td.cpu = str(task_cpu)
    task_mem_known = True  # False: the task's memory is itself invalid, so don't judge containers by it
    with p.check():
        if td.memory:
            task_mem_known = False
            task_mem = parse_memory(td.memory, "memory")
            _check_range(task_mem, *TASK_MEMORY_RANGE, "memory")
            td.memory = str(task_mem)
            task_mem_known = True
    for name, why in _IGNORED_TASK_FIELDS.items():
        if _present(td, name):
            warnings.append(why)
    if td.requires_compatibilities and any(c != "EC2" for c in td.requires_compatibilities):
        warnings.append("requiresCompatibilities is kept; tasks run on Shoal agents (EC2 launch type)")
    volume_names = set()
    for i, v in enumerate(td.volumes):
        with p.check():
            if not v.name or not NAME_RE.fullmatch(v.name):
                raise InvalidArgument(f"volumes[{i}].name", "must be 1-255 letters, digits, '-' or '_'")
            if v.name in volume_names:
                raise InvalidArgument(f"volumes[{i}].name", f"duplicate volume name {quote(v.name)}")
            volume_names.add(v.name)
        with p.check():
            if v.host.source_path and not v.host.source_path.startswith("/"):
                raise InvalidArgument(f"volumes[{i}].host.sourcePath", "must be an absolute path")
        if v.HasField("efs_volume_configuration"):
            warnings.append(
                f"volumes[{i}].efsVolumeConfiguration is kept; the volume is a plain Docker volume"
            )
        if v.HasField("fsx_windows_file_server_volume_configuration"):
            warnings.append(
                f"volumes[{i}].fsxWindowsFileServerVolumeConfiguration is kept; "
                "the volume is a plain Docker volume"
            )
        dvc = v.docker_volume_configuration
        if v.HasField("docker_volume_configuration") and dvc.driver not in ("", "local"):
            warnings.append(
                f"volumes[{i}].dockerVolumeConfiguration.driver {quote(dvc.driver)} is kept; Shoal uses local"
            )
        with p.check():
            if dvc.scope and dvc.scope not in ("task", "shared"):
                raise InvalidArgument(
                    f"volumes[{i}].dockerVolumeConfiguration.scope",
                    f"{quote(dvc.scope)} must be task or shared",
                )
    for i, pc in enumerate(td.placement_constraints):
        with p.check():
            if pc.type != "memberOf":
                raise InvalidArgument(
                    f"placementConstraints[{i}].type",
                    f"{quote(pc.type)}: task definitions allow only memberOf constraints",
                )
    for i, attr in enumerate(td.requires_attributes):
        with p.check():
            if not attr.name:
                raise InvalidArgument(f"requiresAttributes[{i}].name", "is required")
    names: dict[str, ecs_pb2.ContainerDefinition] = {}
    host_ports: set[tuple[int, str]] = set()
    container_names = {c.name for c in td.container_definitions}
    for i, c in enumerate(td.container_definitions):
        warnings.extend(
            _validate_container(
                c, f"containerDefinitions[{i}]", mode, volume_names, host_ports, container_names, p
            )
        )
        with p.check():
            if c.name in names:
                raise InvalidArgument(
                    f"containerDefinitions[{i}].name", f"duplicate container name {quote(c.name)}"
                )
        names.setdefault(c.name, c)
        with p.check():
            if (
                not td.memory
                and task_mem_known
                and not c.HasField("memory")
                and not c.HasField("memory_reservation")
            ):
                raise InvalidArgument(
                    f"containerDefinitions[{i}]",
                    f"container {quote(c.name)} needs memory or memoryReservation "
                    "when the task sets no memory",
                )
    with p.check():
        if n and not any(is_essential(c) for c in td.container_definitions):
            raise InvalidArgument("containerDefinitions", "at least one container must be essential")
    with p.check():
        _check_dependency_cycles(td)
    for i, c in enumerate(td.container_definitions):
        for j, dep in enumerate(c.depends_on):
            with p.check():
                _check_dependency(dep, names, f"containerDefinitions[{i}].dependsOn[{j}]")
    p.raise_if_any()
    return sorted(set(warnings), key=warnings.index)


def _check_dependency(
    dep: ecs_pb2.ContainerDependency, names: dict[str, ecs_pb2.ContainerDefinition], f: str
) -> None:
    target = names.get(dep.container_name)
    if target is None:
        raise InvalidArgument(f + ".containerName", f"no container named {quote(dep.container_name)}")
    if dep.condition not in DEPENDENCY_CONDITIONS:
        raise InvalidArgument(
            f + ".condition", f"{quote(dep.condition)} is not one of {', '.join(DEPENDENCY_CONDITIONS)}"
        )
    if dep.condition in ("COMPLETE", "SUCCESS") and is_essential(target):
        raise InvalidArgument(
            f + ".condition", f"{dep.condition} is not allowed on essential container {quote(target.name)}"
        )
    if dep.condition == "HEALTHY" and not has_health_check(target):
        raise InvalidArgument(
            f + ".condition", f"HEALTHY needs a healthCheck on container {quote(target.name)}"
        )


def _check_dependency_cycles(td: ecs_pb2.TaskDefinition) -> None:
    """dependsOn must not loop: such a task could never start."""
    graph = {c.name: [d.container_name for d in c.depends_on] for c in td.container_definitions}
    index = {c.name: i for i, c in enumerate(td.container_definitions)}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = " -> ".join([*path[path.index(name) :], name])
            raise InvalidArgument(
                f"containerDefinitions[{index[path[0]]}].dependsOn", f"dependency cycle: {loop}"
            )
        state[name] = 1
        for dep in graph.get(name, []):
            visit(dep, [*path, name])
        state[name] = 2

    for name in graph:
        visit(name, [])


def _present(msg, name: str) -> bool:
    fd = msg.DESCRIPTOR.fields_by_name[name]
    if fd.is_repeated:
        return len(getattr(msg, name)) > 0
    if fd.has_presence:
        return msg.HasField(name)
    return bool(getattr(msg, name))


def _validate_container(
    c: ecs_pb2.ContainerDefinition,
    f: str,
    mode: str,
    volume_names: set[str],
    host_ports: set[tuple[int, str]],
    container_names: set[str],
    p: Problems,
) -> list[str]:
    warnings = []
    with p.check():
        if not c.name:
            raise InvalidArgument(f + ".name", "is required")
        if not NAME_RE.fullmatch(c.name):
            raise InvalidArgument(f + ".name", f"{quote(c.name)} must be 1-255 letters, digits, '-' or '_'")
    with p.check():
        if not c.image:
            raise InvalidArgument(f + ".image", "is required")
        if len(c.image) > 255 or not c.image.isprintable() or any(ch.isspace() for ch in c.image):
            raise InvalidArgument(f + ".image", f"{quote(c.image)} is not a valid image reference")
    with p.check():
        if c.HasField("cpu"):
            _check_range(c.cpu, 0, CONTAINER_CPU_MAX, f + ".cpu")
    with p.check():
        if c.HasField("memory") and c.memory < MIN_CONTAINER_MEMORY_MIB:
            raise InvalidArgument(
                f + ".memory", f"must be at least {MIN_CONTAINER_MEMORY_MIB} MiB, got {c.memory}"
            )
        if c.HasField("memory_reservation") and c.memory_reservation < MIN_CONTAINER_MEMORY_MIB:
            raise InvalidArgument(
                f + ".memoryReservation",
                f"must be at least {MIN_CONTAINER_MEMORY_MIB} MiB, got {c.memory_reservation}",
            )
        if c.HasField("memory") and c.HasField("memory_reservation") and c.memory <= c.memory_reservation:
            raise InvalidArgument(
                f + ".memory",
                f"({c.memory}) must be greater than memoryReservation ({c.memory_reservation})",
            )
    for j, pm in enumerate(c.port_mappings):
        with p.check():
            _check_port_mapping(pm, f"{f}.portMappings[{j}]", mode, host_ports)
    for j, env in enumerate(c.environment):
        with p.check():
            if not env.name or not _ENV_NAME_RE.fullmatch(env.name):
                raise InvalidArgument(
                    f"{f}.environment[{j}].name", f"{quote(env.name)} is not a valid variable name"
                )
    if c.HasField("health_check"):
        with p.check():
            _check_health_check(c.health_check, f + ".healthCheck")
    with p.check():
        if c.HasField("stop_timeout"):
            _check_range(c.stop_timeout, 0, 3600, f + ".stopTimeout")
    for j, mp in enumerate(c.mount_points):
        with p.check():
            if mp.source_volume not in volume_names:
                raise InvalidArgument(
                    f"{f}.mountPoints[{j}].sourceVolume",
                    f"{quote(mp.source_volume)} is not a volume of the task definition",
                )
        with p.check():
            if not mp.container_path.startswith("/"):
                raise InvalidArgument(f"{f}.mountPoints[{j}].containerPath", "must be an absolute path")
    for j, ul in enumerate(c.ulimits):
        with p.check():
            if not ul.name:
                raise InvalidArgument(f"{f}.ulimits[{j}].name", "is required")
            if ul.soft_limit > ul.hard_limit:
                raise InvalidArgument(f"{f}.ulimits[{j}].softLimit", "must not exceed hardLimit")
    if c.HasField("log_configuration"):
        driver = c.log_configuration.log_driver
        with p.check():
            if not _LOG_DRIVER_RE.fullmatch(driver):
                raise InvalidArgument(
                    f + ".logConfiguration.logDriver",
                    f"{quote(driver)} is not a log driver name (e.g. awslogs, json-file, local, syslog)",
                )
        if _LOG_DRIVER_RE.fullmatch(driver) and driver not in (*DOCKER_LOG_DRIVERS, *SHOAL_LOG_DRIVERS):
            warnings.append(
                f"{f}.logConfiguration: {driver} is kept; the container logs with the agent's default "
                "driver (`shoal task logs` reads it)"
            )
    for j, sec in enumerate(c.secrets):
        with p.check():
            if not sec.name or not _ENV_NAME_RE.fullmatch(sec.name):
                raise InvalidArgument(
                    f"{f}.secrets[{j}].name", f"{quote(sec.name)} is not a valid variable name"
                )
            parse_value_from(sec.value_from, f"{f}.secrets[{j}].valueFrom")
    for j, sec in enumerate(c.log_configuration.secret_options):
        with p.check():
            if not sec.name:
                raise InvalidArgument(f"{f}.logConfiguration.secretOptions[{j}].name", "is required")
            parse_value_from(sec.value_from, f"{f}.logConfiguration.secretOptions[{j}].valueFrom")
    with p.check():
        _validate_references(c, f, mode, container_names)
    if c.HasField("linux_parameters"):
        with p.check():
            _validate_linux_parameters(c.linux_parameters, f + ".linuxParameters")
    for name, why in _IGNORED_CONTAINER_FIELDS.items():
        if _present(c, name):
            warnings.append(f"{f}.{why}")
    return warnings


def _check_port_mapping(
    pm: ecs_pb2.PortMapping, pf: str, mode: str, host_ports: set[tuple[int, str]]
) -> None:
    if not pm.HasField("container_port"):
        raise InvalidArgument(pf + ".containerPort", "is required")
    _check_range(pm.container_port, 1, 65535, pf + ".containerPort")
    if pm.HasField("host_port"):
        _check_range(pm.host_port, 0, 65535, pf + ".hostPort")
    proto = pm.protocol or "tcp"
    if proto not in ("tcp", "udp"):
        raise InvalidArgument(pf + ".protocol", f"{quote(pm.protocol)} must be tcp or udp")
    if mode == "host":
        if pm.host_port and pm.host_port != pm.container_port:
            raise InvalidArgument(pf + ".hostPort", "in host network mode must equal containerPort")
        host = pm.container_port
    elif mode == "awsvpc":
        host = 0
    else:
        host = pm.host_port
    if host:
        if (host, proto) in host_ports:
            raise InvalidArgument(pf + ".hostPort", f"{host}/{proto} is used twice in this task definition")
        host_ports.add((host, proto))
    if mode == "none":
        raise InvalidArgument(pf, "port mappings are not allowed in network mode none")


def _check_health_check(hc: ecs_pb2.HealthCheck, hf: str) -> None:
    if not hc.command or hc.command[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise InvalidArgument(hf + ".command", 'must start with "CMD" or "CMD-SHELL"')
    if hc.command[0] != "NONE" and len(hc.command) < 2:
        raise InvalidArgument(hf + ".command", f"{hc.command[0]} needs a command after it")
    for name, low, high in (
        ("interval", 5, 300),
        ("timeout", 2, 60),
        ("retries", 1, 10),
        ("start_period", 0, 300),
    ):
        if hc.HasField(name):
            camel = "startPeriod" if name == "start_period" else name
            _check_range(getattr(hc, name), low, high, f"{hf}.{camel}")


def _validate_references(
    c: ecs_pb2.ContainerDefinition, f: str, mode: str, container_names: set[str]
) -> None:
    """links and volumesFrom name another container of the same task (Docker refuses anything else)."""
    for j, link in enumerate(c.links):
        name, _, alias = link.partition(":")
        if mode in ("host", "none"):
            raise InvalidArgument(f"{f}.links[{j}]", f"links need bridge network mode, not {mode}")
        if name not in container_names or name == c.name:
            raise InvalidArgument(f"{f}.links[{j}]", f"{name!r} is not another container of this task")
        if ":" in link and not NAME_RE.fullmatch(alias):
            raise InvalidArgument(f"{f}.links[{j}]", f"alias {alias!r} must be letters, digits, '-' or '_'")
    for j, v in enumerate(c.volumes_from):
        if v.source_container not in container_names or v.source_container == c.name:
            raise InvalidArgument(
                f"{f}.volumesFrom[{j}].sourceContainer",
                f"{v.source_container!r} is not another container of this task",
            )


def _validate_linux_parameters(lp: ecs_pb2.LinuxParameters, f: str) -> None:
    """Values Docker would refuse when the container is created, refused at registration instead."""
    for j, d in enumerate(lp.devices):
        if not d.host_path.startswith("/"):
            raise InvalidArgument(f"{f}.devices[{j}].hostPath", "must be an absolute path")
        if d.container_path and not d.container_path.startswith("/"):
            raise InvalidArgument(f"{f}.devices[{j}].containerPath", "must be an absolute path")
        for k, perm in enumerate(d.permissions):
            if perm not in DEVICE_PERMISSIONS:
                raise InvalidArgument(
                    f"{f}.devices[{j}].permissions[{k}]",
                    f"{perm!r} is not one of {', '.join(DEVICE_PERMISSIONS)}",
                )
    for j, t in enumerate(lp.tmpfs):
        if not t.container_path.startswith("/"):
            raise InvalidArgument(f"{f}.tmpfs[{j}].containerPath", "must be an absolute path")
        if t.size <= 0:
            raise InvalidArgument(f"{f}.tmpfs[{j}].size", f"must be a positive number of MiB, got {t.size}")
    if lp.HasField("shared_memory_size") and lp.shared_memory_size <= 0:
        raise InvalidArgument(
            f"{f}.sharedMemorySize", f"must be a positive number of MiB, got {lp.shared_memory_size}"
        )
    if lp.HasField("max_swap") and lp.max_swap < 0:
        raise InvalidArgument(f"{f}.maxSwap", f"must not be negative, got {lp.max_swap}")
    if lp.HasField("swappiness"):
        _check_range(lp.swappiness, 0, 100, f"{f}.swappiness")


@dataclass(frozen=True)
class Reservation:
    """What one task of a task definition holds on an instance."""

    cpu: int
    memory: int
    static_ports: frozenset[tuple[int, str]]
    dynamic_ports: int


def container_memory_reservation(c: ecs_pb2.ContainerDefinition) -> int:
    if c.HasField("memory_reservation"):
        return c.memory_reservation
    return c.memory if c.HasField("memory") else 0


def task_reservation(
    td: ecs_pb2.TaskDefinition, overrides: ecs_pb2.TaskOverride | None = None
) -> Reservation:
    """Placement counts reservations: task-level cpu/memory replace the sum of the containers."""
    containers = effective_containers(td, overrides)
    cpu = sum(c.cpu for c in containers)
    memory = sum(container_memory_reservation(c) for c in containers)
    task_cpu = overrides.cpu if overrides and overrides.cpu else td.cpu
    task_mem = overrides.memory if overrides and overrides.memory else td.memory
    if task_cpu:
        cpu = parse_cpu(task_cpu, "overrides.cpu")
    if task_mem:
        memory = parse_memory(task_mem, "overrides.memory")
    static: set[tuple[int, str]] = set()
    dynamic = 0
    mode = td.network_mode or "bridge"
    for c in containers:
        for pm in c.port_mappings:
            proto = pm.protocol or "tcp"
            host = pm.container_port if mode == "host" else (0 if mode == "awsvpc" else pm.host_port)
            if host:
                static.add((host, proto))
            else:
                dynamic += 1
    return Reservation(cpu, memory, frozenset(static), dynamic)


def effective_containers(
    td: ecs_pb2.TaskDefinition, overrides: ecs_pb2.TaskOverride | None
) -> list[ecs_pb2.ContainerDefinition]:
    """Container definitions with containerOverrides applied."""
    by_name = {o.name: o for o in overrides.container_overrides} if overrides else {}
    out = []
    for c in td.container_definitions:
        o = by_name.get(c.name)
        if o is None:
            out.append(c)
            continue
        merged = ecs_pb2.ContainerDefinition()
        merged.CopyFrom(c)
        if o.command:
            del merged.command[:]
            merged.command.extend(o.command)
        if o.environment:
            env = {e.name: e.value for e in merged.environment}
            env.update({e.name: e.value for e in o.environment})
            del merged.environment[:]
            merged.environment.extend(ecs_pb2.KeyValuePair(name=k, value=v) for k, v in env.items())
        if o.HasField("cpu"):
            merged.cpu = o.cpu
        if o.HasField("memory"):
            merged.memory = o.memory
        if o.HasField("memory_reservation"):
            merged.memory_reservation = o.memory_reservation
        out.append(merged)
    return out


def nul_fields(msg: Message, path: str = "") -> list[str]:
    """ECS paths of the string fields holding a NUL: Docker and the kernel cut strings there."""
    out: list[str] = []
    for fd, value in msg.ListFields():
        where = f"{path}.{fd.json_name}" if path else fd.json_name
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            if any("\x00" in str(k) or (isinstance(v, str) and "\x00" in v) for k, v in value.items()):
                out.append(where)
        elif fd.is_repeated:
            for i, item in enumerate(value):
                if isinstance(item, Message):
                    out.extend(nul_fields(item, f"{where}[{i}]"))
                elif isinstance(item, str) and "\x00" in item:
                    out.append(f"{where}[{i}]")
        elif isinstance(value, Message):
            out.extend(nul_fields(value, where))
        elif isinstance(value, str) and "\x00" in value:
            out.append(where)
    return out


def validate_overrides(td: ecs_pb2.TaskDefinition, overrides: ecs_pb2.TaskOverride) -> None:
    """Container overrides must name containers of the task definition and keep the memory rules."""
    size = len(json_format.MessageToJson(overrides, indent=None))
    if size > MAX_OVERRIDES_CHARS:
        raise InvalidArgument(
            "overrides", f"is {size} characters of JSON; the limit is {MAX_OVERRIDES_CHARS}"
        )
    bad = nul_fields(overrides, "overrides")
    if bad:
        raise InvalidArgument(bad[0], "must not contain NUL characters")
    names = {c.name for c in td.container_definitions}
    for i, o in enumerate(overrides.container_overrides):
        f = f"overrides.containerOverrides[{i}]"
        if o.name not in names:
            raise InvalidArgument(f + ".name", f"no container named {quote(o.name)}")
        if o.HasField("cpu"):
            _check_range(o.cpu, 0, CONTAINER_CPU_MAX, f + ".cpu")
        if o.HasField("memory") and o.memory < MIN_CONTAINER_MEMORY_MIB:
            raise InvalidArgument(
                f + ".memory", f"must be at least {MIN_CONTAINER_MEMORY_MIB} MiB, got {o.memory}"
            )
        if o.HasField("memory_reservation") and o.memory_reservation < MIN_CONTAINER_MEMORY_MIB:
            raise InvalidArgument(
                f + ".memoryReservation",
                f"must be at least {MIN_CONTAINER_MEMORY_MIB} MiB, got {o.memory_reservation}",
            )
        for j, env in enumerate(o.environment):
            if not _ENV_NAME_RE.fullmatch(env.name):
                raise InvalidArgument(
                    f"{f}.environment[{j}].name", f"{quote(env.name)} is not a valid variable name"
                )
    if overrides.cpu:
        _check_range(parse_cpu(overrides.cpu, "overrides.cpu"), *TASK_CPU_RANGE, "overrides.cpu")
    if overrides.memory:
        _check_range(
            parse_memory(overrides.memory, "overrides.memory"), *TASK_MEMORY_RANGE, "overrides.memory"
        )
    index = {o.name: i for i, o in enumerate(overrides.container_overrides)}
    for c in effective_containers(td, overrides):
        if c.HasField("memory") and c.HasField("memory_reservation") and c.memory <= c.memory_reservation:
            raise InvalidArgument(
                f"overrides.containerOverrides[{index.get(c.name, 0)}].memory",
                f"({c.memory}) must be greater than memoryReservation ({c.memory_reservation})",
            )
