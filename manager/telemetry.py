"""The manager's own health instruments (placement latency, etcd round trips, controller rounds),
in a registry of their own that `/metrics` serves (manager/prometheus.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

PLACEMENT_SECONDS = Histogram(
    "shoal_manager_placement_seconds",
    "Time to place tasks and commit the placement (RunTask and StartTask calls)",
    ["caller"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ETCD_REQUESTS = Counter(
    "shoal_manager_etcd_requests",
    "etcd round trips by outcome (ok, unavailable)",
    ["outcome"],
    registry=REGISTRY,
)
ETCD_SECONDS = Histogram(
    "shoal_manager_etcd_request_seconds",
    "Duration of etcd round trips",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
    registry=REGISTRY,
)
CONTROLLER_ROUND_SECONDS = Histogram(
    "shoal_manager_controller_round_seconds",
    "Duration of one round of the leader's service controller over every cluster",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
GC_PAUSE_SECONDS = Histogram(
    "shoal_manager_gc_pause_seconds",
    "Duration of one collection of Python's cyclic garbage collector (the whole process waits for it)",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
LOOP_LAG_SECONDS = Histogram(
    "shoal_manager_event_loop_lag_seconds",
    "How late the manager's event loop ran a callback it had scheduled (every call waits this long)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
