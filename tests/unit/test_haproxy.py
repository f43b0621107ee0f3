"""HAProxy configuration, runtime plans and stats parsing (shoal.core.haproxy), without HAProxy."""

from __future__ import annotations

import re

import pytest

from shoal.core import haproxy
from shoal.v1 import lb_pb2


def config(*servers: tuple[str, int, bool], routes: bool = True) -> lb_pb2.LbConfig:
    cfg = lb_pb2.LbConfig()
    f = cfg.frontends.add(name="edge_80", port=80, protocol="HTTP", default_backend="web")
    if routes:
        f.routes.add(priority=10, path_patterns=["/api/*"], backend="api")
        f.routes.add(priority=5, host_headers=["*.example.com"], backend="api")
    b = cfg.backends.add(
        name="web",
        protocol="HTTP",
        health_check_protocol="HTTP",
        health_check_path="/health",
        health_check_interval_seconds=2,
        healthy_threshold_count=3,
        unhealthy_threshold_count=2,
        matcher="200-399",
    )
    for name, port, draining in servers:
        b.servers.add(name=name, address="10.0.0.1", port=port, draining=draining)
    cfg.backends.add(
        name="api", protocol="HTTP", health_check_protocol="HTTP", health_check_path="/", matcher="200"
    )
    return cfg


@pytest.mark.parametrize(
    ("matcher", "ok", "bad"),
    [
        ("200", ["200"], ["201", "2000", "300"]),
        ("200,302", ["200", "302"], ["301", "201"]),
        ("200-399", ["200", "250", "399"], ["199", "400", "404"]),
        ("201-204", ["201", "204"], ["200", "205"]),
        ("200-499", ["404", "200"], ["500"]),
    ],
)
def test_matcher_regex_accepts_exactly_its_codes(matcher: str, ok: list[str], bad: list[str]) -> None:
    rx = re.compile(haproxy.status_regex(matcher))
    assert all(rx.match(c) for c in ok)
    assert not any(rx.match(c) for c in bad)


def test_path_and_host_patterns_use_elb_wildcards() -> None:
    assert re.match(haproxy.pattern_regex("/api/*"), "/api/v1/x")
    assert not re.match(haproxy.pattern_regex("/api/*"), "/apix")
    assert re.match(haproxy.pattern_regex("/img/?.png"), "/img/a.png")
    assert not re.match(haproxy.pattern_regex("a.b"), "axb")  # a dot is a dot


def test_render_has_listeners_rules_in_priority_order_checks_and_servers() -> None:
    text = haproxy.render(config(("t1", 32768, False), ("t2", 32769, True)), "/run/s.sock")
    assert "stats socket /run/s.sock mode 600 level admin expose-fd listeners" in text
    assert "bind :80" in text and "default_backend tg_web" in text
    # Lower priority numbers are evaluated first, as ELB does.
    assert text.index("use_backend tg_api if r5_host") < text.index("use_backend tg_api if r10_path")
    assert "option httpchk GET /health" in text
    assert "server t1 10.0.0.1:32768 check inter 2000 rise 3 fall 2\n" in text
    assert "server t2 10.0.0.1:32769 check inter 2000 rise 3 fall 2 disabled" in text  # draining


def test_tcp_listener_has_no_http_options() -> None:
    cfg = lb_pb2.LbConfig()
    cfg.frontends.add(name="db_5432", port=5432, protocol="TCP", default_backend="db")
    cfg.backends.add(name="db", protocol="TCP", health_check_protocol="TCP").servers.add(
        name="t", address="10.0.0.2", port=40000
    )
    text = haproxy.render(cfg, "/s")
    assert "mode tcp" in text and "httpchk" not in text and "forwardfor" not in text


def test_target_changes_are_runtime_commands_without_a_reload() -> None:
    old = config(("t1", 32768, False), ("t2", 32769, False))
    new = config(("t1", 32768, True), ("t3", 32770, False))
    p = haproxy.plan(old, new)
    assert not p.reload
    assert p.commands == [
        "set server tg_web/t2 state maint",
        "del server tg_web/t2",
        "set server tg_web/t1 state drain",
        "add server tg_web/t3 10.0.0.1:32770 check inter 2000 rise 3 fall 2",
        "enable health tg_web/t3",
        "set server tg_web/t3 state ready; set server tg_web/t3 health down",
    ]
    assert haproxy.plan(new, new).commands == []


def test_new_servers_are_those_the_running_proxy_never_checked_there() -> None:
    old = config(("t1", 32768, False), ("t2", 32769, False))
    new = config(("t1", 32768, False), ("t2", 40000, False), ("t3", 32770, False), ("t4", 32771, True))
    assert haproxy.new_servers(old, new) == [("tg_web", "t2"), ("tg_web", "t3")]  # t4 is draining
    assert haproxy.new_servers(None, old) == [("tg_web", "t1"), ("tg_web", "t2")]


def test_a_reload_restores_only_servers_that_stay_where_they_were() -> None:
    dump = (
        "1\n"
        "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
        "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
        "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n"
        "3 tg_web 1 t1 10.0.0.1 0 0 1 1 25 8 2 0 6 0 0 0 - 32768 -\n"
        "3 tg_web 2 t2 10.0.0.1 2 0 1 1 19 15 3 3 6 0 0 0 - 32769 -\n"
        "3 tg_web 3 gone 10.0.0.1 2 0 1 1 19 15 3 3 6 0 0 0 - 32772 -\n"
    )
    kept = haproxy.kept_server_states(dump, config(("t1", 32768, False), ("t2", 40000, False)))
    rows = kept.splitlines()
    assert rows[0] == "1" and rows[1].startswith("# be_id")
    assert [r.split()[3] for r in rows[2:]] == ["t1"]  # t2 moved: never back at its old port
    assert haproxy.kept_server_states("", config()) == "1\n"


def test_the_configuration_keeps_server_states_over_a_reload() -> None:
    text = haproxy.render(config(("t1", 32768, False)), "/s", "/lb/servers.state")
    assert "    server-state-file /lb/servers.state\n" in text
    assert "defaults\n    load-server-state-from-file global\n" in text


def test_listener_or_rule_changes_reload() -> None:
    assert haproxy.plan(None, config()).reload
    assert haproxy.plan(config(routes=False), config()).reload


def test_a_target_that_moved_is_replaced() -> None:
    p = haproxy.plan(config(("t1", 32768, False)), config(("t1", 40000, False)))
    assert p.commands[:2] == ["set server tg_web/t1 state maint", "del server tg_web/t1"]
    assert p.commands[2].startswith("add server tg_web/t1 10.0.0.1:40000")


def test_show_stat_parsing_keeps_target_group_servers_only() -> None:
    text = (
        "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,"
        "status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,"
        "type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,check_desc\n"
        "lb_edge_80,FRONTEND,,,3,5,,,,,,,,,,,,OPEN,,,,,,,,,,,,,,,,,,,,,,,\n"
        "tg_web,t1,0,0,2,3,,9,,,,,,,,,,UP,1,1,0,0,0,5,0,,1,3,1,,9,,2,0,,1,L7OK,200,1,0,Layer7 check passed\n"
        "tg_web,t2,0,0,0,0,,0,,,,,,,,,,DOWN,1,1,0,3,1,5,5,,1,3,2,,0,,2,0,,0,L7STS,404,1,0,"
        "Layer7 wrong status\n"
        "tg_web,BACKEND,0,0,2,3,,9,,,,,,,,,,UP,1,1,0,,0,5,0,,1,3,0,,9,,1,0,,1,,,,0,\n"
    )
    servers = haproxy.parse_stat(text)
    assert [(s.server, s.status, s.current_sessions, s.check_status) for s in servers] == [
        ("t1", "UP", 2, "L7OK"),
        ("t2", "DOWN", 0, "L7STS"),
    ]
    assert servers[1].check_description == "Layer7 wrong status"
    assert haproxy.parse_stat("") == [] and haproxy.parse_stat("Unknown command\n") == []
