"""`/metrics` for Prometheus on `--metrics-listen`: the clusters' figures and the manager's own health.

Written with the official prometheus-client (its text exposition); served over TLS with the manager's
certificate, and every scrape carries an API key as a bearer token (Prometheus' `authorization`
setting), checked as the gRPC API checks it. A key limited to a cluster sees that cluster only. With
`--insecure` it is plain HTTP without keys, like the rest of the manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable, Iterator

import h11
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from shoal.core import metrics as m
from shoal.core.errors import ShoalError
from shoal.manager import telemetry
from shoal.manager.actions.api_keys import ApiKeys
from shoal.manager.api.auth import bearer
from shoal.manager.http_connections import end_connections
from shoal.manager.metrics import MetricsRecorder

log = logging.getLogger(__name__)
MIB = 1024 * 1024
IDLE_SECONDS = 60


class Scrape:
    """What one scrape shows: built at scrape time from the recorder's latest figures (no copies kept)."""

    def __init__(
        self,
        recorder: MetricsRecorder,
        *,
        clusters: list[str],
        sessions: Callable[[], int] | None,
        is_leader: Callable[[], bool] | None,
    ) -> None:
        self.recorder = recorder
        self.clusters = clusters
        self.sessions = sessions  # None: a cluster-limited key sees no manager-wide figures
        self.is_leader = is_leader

    def collect(self) -> Iterator[Metric]:
        g = {
            name: GaugeMetricFamily(name, doc, labels=labels)
            for name, doc, labels in [
                (
                    "shoal_cluster_cpu_utilization_percent",
                    "CPU used by tasks x 100 / registered",
                    ["cluster"],
                ),
                (
                    "shoal_cluster_memory_utilization_percent",
                    "Memory used by tasks x 100 / registered",
                    ["cluster"],
                ),
                (
                    "shoal_cluster_cpu_reservation_percent",
                    "CPU reserved by RUNNING tasks x 100 / registered",
                    ["cluster"],
                ),
                (
                    "shoal_cluster_memory_reservation_percent",
                    "Memory reserved by RUNNING tasks x 100 / registered",
                    ["cluster"],
                ),
                ("shoal_cluster_running_tasks", "RUNNING tasks", ["cluster"]),
                (
                    "shoal_service_cpu_utilization_percent",
                    "CPU used by the service's tasks x 100 / (task CPU x running tasks); may exceed 100",
                    ["cluster", "service"],
                ),
                (
                    "shoal_service_memory_utilization_percent",
                    "Memory used by the service's tasks x 100 / (task memory x running tasks)",
                    ["cluster", "service"],
                ),
                ("shoal_service_running_tasks", "RUNNING tasks of the service", ["cluster", "service"]),
                (
                    "shoal_service_cpu_reserved_units",
                    "CPU units reserved by the service's RUNNING tasks",
                    ["cluster", "service"],
                ),
                (
                    "shoal_service_memory_reserved_bytes",
                    "Memory reserved by the service's RUNNING tasks",
                    ["cluster", "service"],
                ),
                (
                    "shoal_instance_cpu_registered_units",
                    "CPU units the instance registered",
                    ["cluster", "instance_id"],
                ),
                (
                    "shoal_instance_memory_registered_bytes",
                    "Memory the instance registered",
                    ["cluster", "instance_id"],
                ),
                (
                    "shoal_instance_cpu_reserved_units",
                    "CPU units reserved by RUNNING tasks",
                    ["cluster", "instance_id"],
                ),
                (
                    "shoal_instance_memory_reserved_bytes",
                    "Memory reserved by RUNNING tasks",
                    ["cluster", "instance_id"],
                ),
                (
                    "shoal_instance_cpu_used_units",
                    "CPU units used by the instance's tasks",
                    ["cluster", "instance_id"],
                ),
                (
                    "shoal_instance_memory_used_bytes",
                    "Memory used by the instance's tasks",
                    ["cluster", "instance_id"],
                ),
                ("shoal_instance_running_tasks", "RUNNING tasks on the instance", ["cluster", "instance_id"]),
                (
                    "shoal_instance_agent_connected",
                    "1 while the instance's agent holds a session",
                    ["cluster", "instance_id"],
                ),
            ]
        }
        for cluster in self.clusters:
            u = self.recorder.usage(cluster)
            caps = [c for c, _ in u.instances]
            figures = m.cluster_figures(caps, u.tasks)
            for metric, name in (
                (m.CPU_UTILIZATION, "shoal_cluster_cpu_utilization_percent"),
                (m.MEMORY_UTILIZATION, "shoal_cluster_memory_utilization_percent"),
                (m.CPU_RESERVATION, "shoal_cluster_cpu_reservation_percent"),
                (m.MEMORY_RESERVATION, "shoal_cluster_memory_reservation_percent"),
                (m.RUNNING_TASK_COUNT, "shoal_cluster_running_tasks"),
            ):
                if metric in figures:
                    g[name].add_metric([cluster], figures[metric])
            running = [t for t in u.tasks if t.last_status == "RUNNING"]
            for service, sf in sorted(m.service_figures(u.tasks).items()):
                labels = [cluster, service]
                mine = [t for t in running if t.service == service]
                if m.CPU_UTILIZATION in sf:
                    g["shoal_service_cpu_utilization_percent"].add_metric(labels, sf[m.CPU_UTILIZATION])
                if m.MEMORY_UTILIZATION in sf:
                    g["shoal_service_memory_utilization_percent"].add_metric(labels, sf[m.MEMORY_UTILIZATION])
                g["shoal_service_running_tasks"].add_metric(labels, sf[m.RUNNING_TASK_COUNT])
                g["shoal_service_cpu_reserved_units"].add_metric(labels, sum(t.cpu_reserved for t in mine))
                g["shoal_service_memory_reserved_bytes"].add_metric(
                    labels, sum(t.memory_reserved for t in mine) * MIB
                )
            for cap, connected in u.instances:
                if cap.status == "INACTIVE":
                    continue
                labels = [cluster, cap.instance_id]
                mine = [t for t in running if t.instance_id == cap.instance_id]
                reported = [t for t in mine if t.cpu_used is not None]
                g["shoal_instance_cpu_registered_units"].add_metric(labels, cap.cpu)
                g["shoal_instance_memory_registered_bytes"].add_metric(labels, cap.memory * MIB)
                g["shoal_instance_cpu_reserved_units"].add_metric(labels, sum(t.cpu_reserved for t in mine))
                g["shoal_instance_memory_reserved_bytes"].add_metric(
                    labels, sum(t.memory_reserved for t in mine) * MIB
                )
                if reported:
                    g["shoal_instance_cpu_used_units"].add_metric(
                        labels, sum(t.cpu_used or 0 for t in reported)
                    )
                    g["shoal_instance_memory_used_bytes"].add_metric(
                        labels, sum(t.memory_used or 0 for t in reported) * MIB
                    )
                g["shoal_instance_running_tasks"].add_metric(labels, len(mine))
                g["shoal_instance_agent_connected"].add_metric(labels, 1.0 if connected else 0.0)
        yield from g.values()
        if self.sessions is None:
            return
        yield GaugeMetricFamily(
            "shoal_manager_agent_sessions", "Agent sessions this replica holds", value=self.sessions()
        )
        if self.is_leader is not None:
            yield GaugeMetricFamily(
                "shoal_manager_leader",
                "1 while this replica is the leader",
                value=1.0 if self.is_leader() else 0.0,
            )
        yield GaugeMetricFamily(
            "shoal_manager_metrics_tick_seconds",
            "Time the last metrics tick took to sample every cluster",
            value=self.recorder.last_tick_seconds,
        )
        yield GaugeMetricFamily(
            "shoal_manager_metrics_series", "Metric series held in memory", value=len(self.recorder.series)
        )
        yield from telemetry.REGISTRY.collect()


class PrometheusEndpoint:
    """GET /metrics: authenticate the bearer key, render the scrape."""

    def __init__(
        self,
        recorder: MetricsRecorder,
        keys: ApiKeys | None,
        sessions: Callable[[], int],
        is_leader: Callable[[], bool] | None = None,
    ) -> None:
        self.recorder = recorder
        self.keys = keys  # None: --insecure
        self.sessions = sessions
        self.is_leader = is_leader
        self.server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def render(
        self, method: str, target: str, headers: list[tuple[str, str]]
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) of one request."""
        if target.partition("?")[0] != "/metrics":
            return 404, "text/plain", b"not found: scrape /metrics\n"
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"GET /metrics\n"
        limit = ""
        if self.keys is not None:
            token = bearer(headers)
            if not token:
                return 401, "text/plain", b"an API key is needed: Authorization: Bearer KEY\n"
            try:
                who = await self.keys.authenticate(token)
            except ShoalError as exc:
                return 401, "text/plain", (exc.message + "\n").encode()
            limit = who.cluster
        clusters = [limit] if limit else sorted(self.recorder.view.clusters)
        scrape = Scrape(
            self.recorder,
            clusters=clusters,
            sessions=None if limit else self.sessions,
            is_leader=None if limit else self.is_leader,
        )
        return 200, CONTENT_TYPE_LATEST, generate_latest(scrape)  # type: ignore[arg-type]

    async def start(self, listen: str, tls: ssl.SSLContext | None) -> None:
        host, _, port = listen.rpartition(":")
        self.server = await asyncio.start_server(
            self._connection, host.strip("[]") or None, int(port), ssl=tls
        )

    async def close(self) -> None:
        """Stop listening and end open connections (Prometheus keeps its connection between scrapes)."""
        if self.server is not None:
            self.server.close()
        await end_connections(self._connections)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        try:
            while True:
                event = await _next_event(conn, reader)
                if not isinstance(event, h11.Request):
                    return
                while not isinstance(
                    await _next_event(conn, reader), h11.EndOfMessage | h11.ConnectionClosed
                ):
                    pass  # a scrape has no body worth reading
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers]
                status, ctype, body = await self.render(
                    event.method.decode("latin-1"), event.target.decode("latin-1"), headers
                )
                out = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
                if status == 401:
                    out.append(("WWW-Authenticate", 'Bearer realm="shoal"'))
                writer.write(conn.send(h11.Response(status_code=status, headers=out)))
                if event.method != b"HEAD":
                    writer.write(conn.send(h11.Data(data=body)))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (h11.ProtocolError, ConnectionError, TimeoutError, ssl.SSLError):
            pass
        except Exception:
            log.exception("/metrics request failed")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader):
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await asyncio.wait_for(reader.read(1 << 16), IDLE_SECONDS))
