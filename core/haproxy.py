"""HAProxy for load balancers, pure: the configuration file of an LbConfig, the runtime API commands
that turn one LbConfig into the next without a reload, and the parsing of `show stat`.

Only listener, rule and target-group changes need a reload (master-worker, seamless); targets come and
go through the runtime API (`add server`, `set server … state drain|maint|ready`, `del server`).

As an ELB target, a new server gets no request before its health checks pass: HAProxy 2.6 starts a
server UP, so each new one is forced DOWN (`set server … health down`) and rises after
healthyThresholdCount checks. A reload keeps what the checks found through a server-state file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from shoal.v1 import lb_pb2

NAME_RE = re.compile(r"[^A-Za-z0-9_.-]")


def backend_name(target_group: str) -> str:
    return "tg_" + NAME_RE.sub("_", target_group)


def frontend_name(name: str) -> str:
    return "lb_" + NAME_RE.sub("_", name)


def status_regex(matcher: str) -> str:
    """ELB's matcher ("200", "200,302", "200-399") as the regex of `http-check expect rstatus`."""
    parts: list[str] = []
    for item in (matcher or "200").split(","):
        item = item.strip()
        lo, _, hi = item.partition("-")
        low, high = int(lo), int(hi or lo)
        code = low
        while code <= high:
            # A whole hundred (or ten) in one alternative keeps the regex short.
            if code % 100 == 0 and code + 99 <= high:
                parts.append(f"{code // 100}[0-9][0-9]")
                code += 100
            elif code % 10 == 0 and code + 9 <= high:
                parts.append(f"{code // 10}[0-9]")
                code += 10
            else:
                parts.append(str(code))
                code += 1
    return "^(" + "|".join(parts) + ")$"


def pattern_regex(pattern: str) -> str:
    """ELB's path-pattern / host-header wildcards (`*`, `?`) as an anchored regex."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "^" + "".join(out) + "$"


def server_options(b: lb_pb2.LbBackend) -> str:
    inter = max(1, b.health_check_interval_seconds or 10) * 1000
    rise = b.healthy_threshold_count or 5
    fall = b.unhealthy_threshold_count or 2
    return f"check inter {inter} rise {rise} fall {fall}"


def _server_line(b: lb_pb2.LbBackend, s: lb_pb2.LbServer) -> str:
    line = f"    server {s.name} {s.address}:{s.port} {server_options(b)}"
    # A draining target takes no new connections in the new worker; the old one finishes its own.
    return line + (" disabled" if s.draining else "")


def render(cfg: lb_pb2.LbConfig, stats_socket: str, state_file: str = "") -> str:
    """The whole haproxy.cfg of a configuration (servers included, so a reload or restart keeps them)."""
    lines = [
        "# Written by shoal-agent from the manager's load balancers; changes here are overwritten.",
        "global",
        f"    stats socket {stats_socket} mode 600 level admin expose-fd listeners",
        # Old workers finish established connections after a reload, but not forever.
        "    hard-stop-after 15m",
        *([f"    server-state-file {state_file}"] if state_file else []),
        "defaults",
        *(["    load-server-state-from-file global"] if state_file else []),
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout check 5s",
        # A connection refused by a target that just went away is retried on another one.
        "    retries 3",
        "    option redispatch 1",
    ]
    backends = {b.name for b in cfg.backends}
    for f in sorted(cfg.frontends, key=lambda f: f.port):
        mode = "http" if f.protocol == "HTTP" else "tcp"
        lines += ["", f"frontend {frontend_name(f.name)}", f"    mode {mode}", f"    bind :{f.port}"]
        if mode == "http":
            lines.append("    option forwardfor")
        for r in sorted(f.routes, key=lambda r: r.priority):
            if r.backend not in backends or mode != "http":
                continue
            acls = []
            if r.path_patterns:
                acl = f"r{r.priority}_path"
                lines.append(f"    acl {acl} path_reg " + " ".join(pattern_regex(p) for p in r.path_patterns))
                acls.append(acl)
            if r.host_headers:
                acl = f"r{r.priority}_host"
                lines.append(
                    f"    acl {acl} hdr(host),field(1,:) -m reg -i "
                    + " ".join(pattern_regex(h) for h in r.host_headers)
                )
                acls.append(acl)
            if acls:
                lines.append(f"    use_backend {backend_name(r.backend)} if " + " ".join(acls))
        if f.default_backend in backends:
            lines.append(f"    default_backend {backend_name(f.default_backend)}")
    for b in sorted(cfg.backends, key=lambda b: b.name):
        mode = "http" if b.protocol == "HTTP" else "tcp"
        lines += ["", f"backend {backend_name(b.name)}", f"    mode {mode}", "    balance roundrobin"]
        if (b.health_check_protocol or b.protocol) == "HTTP":
            lines.append(f"    option httpchk GET {b.health_check_path or '/'}")
            lines.append(f"    http-check expect rstatus {status_regex(b.matcher)}")
        if b.health_check_timeout_seconds:
            lines.append(f"    timeout check {b.health_check_timeout_seconds}s")
        for s in sorted(b.servers, key=lambda s: s.name):
            lines.append(_server_line(b, s))
    return "\n".join(lines) + "\n"


def structure(cfg: lb_pb2.LbConfig) -> lb_pb2.LbConfig:
    """The configuration without its servers: what only a reload can change."""
    out = lb_pb2.LbConfig()
    out.CopyFrom(cfg)
    for b in out.backends:
        del b.servers[:]
    return out


@dataclass
class Plan:
    """How to go from the running configuration to the desired one."""

    reload: bool = False
    commands: list[str] = field(default_factory=list)


def plan(current: lb_pb2.LbConfig | None, desired: lb_pb2.LbConfig) -> Plan:
    """A reload when listeners, rules or target groups changed; otherwise runtime API commands only."""
    if current is None or structure(current) != structure(desired):
        return Plan(reload=True)
    p = Plan()
    now = {b.name: b for b in current.backends}
    for b in desired.backends:
        be = backend_name(b.name)
        old = {s.name: s for s in now[b.name].servers}
        new = {s.name: s for s in b.servers}
        for name in sorted(old.keys() - new.keys()):
            p.commands += [f"set server {be}/{name} state maint", f"del server {be}/{name}"]
        for name in sorted(new.keys()):
            s, was = new[name], old.get(name)
            if was is not None and (was.address, was.port) != (s.address, s.port):
                p.commands += [f"set server {be}/{name} state maint", f"del server {be}/{name}"]
                was = None
            if was is None:
                p.commands += [
                    f"add server {be}/{name} {s.address}:{s.port} {server_options(b)}",
                    f"enable health {be}/{name}",
                ]
                if not s.draining:  # one line: no request slips in between
                    p.commands.append(f"set server {be}/{name} state ready; {hold(be, name)}")
            elif was.draining != s.draining:
                p.commands.append(f"set server {be}/{name} state {'drain' if s.draining else 'ready'}")
    return p


def hold(backend: str, server: str) -> str:
    """The command that keeps a new server out of rotation until its checks pass (it must be ready)."""
    return f"set server {backend}/{server} health down"


def new_servers(current: lb_pb2.LbConfig | None, desired: lb_pb2.LbConfig) -> list[tuple[str, str]]:
    """(backend, server) of the desired servers the running proxy has never checked at that address."""
    known = {
        (b.name, s.name, s.address, s.port) for b in (current.backends if current else []) for s in b.servers
    }
    return [
        (backend_name(b.name), s.name)
        for b in desired.backends
        for s in b.servers
        if (b.name, s.name, s.address, s.port) not in known and not s.draining
    ]


def kept_server_states(dump: str, desired: lb_pb2.LbConfig) -> str:
    """`show servers state` less the servers that are gone or moved: what a reload may restore (HAProxy
    would otherwise bring a moved server back at its old address)."""
    lines = dump.splitlines()
    if len(lines) < 2 or not lines[1].startswith("# "):
        return "1\n"
    header = lines[1][2:].split()
    want = {
        (backend_name(b.name), s.name, s.address, str(s.port)) for b in desired.backends for s in b.servers
    }
    keep = [lines[0], lines[1]]
    for line in lines[2:]:
        row = dict(zip(header, line.split(), strict=False))
        if (row.get("be_name"), row.get("srv_name"), row.get("srv_addr"), row.get("srv_port")) in want:
            keep.append(line)
    return "\n".join(keep) + "\n"


def parse_stat(text: str) -> list[lb_pb2.LbServerStatus]:
    """Servers of tg_ backends from `show stat` CSV (the header line names the columns)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        return []
    rows = csv.DictReader([lines[0][2:], *lines[1:]])
    out = []
    for row in rows:
        px, sv = row.get("pxname", ""), row.get("svname", "")
        if not px.startswith("tg_") or sv in ("BACKEND", "FRONTEND"):
            continue
        out.append(
            lb_pb2.LbServerStatus(
                backend=px,
                server=sv,
                status=row.get("status", ""),
                check_status=row.get("check_status", ""),
                check_description=row.get("check_desc", "") or "",
                current_sessions=int(row.get("scur") or 0),
            )
        )
    return out
