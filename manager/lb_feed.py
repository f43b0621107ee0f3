"""Proxy configurations for agent sessions: one loop per manager computes, for the instances with an
open session, what their proxy should serve, and hands each session its configuration when it changes
(level-triggered: the whole configuration every time, so a lost message costs nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from shoal.core import arns
from shoal.core.errors import ShoalError
from shoal.manager.actions.load_balancers import LoadBalancers
from shoal.v1 import lb_pb2

log = logging.getLogger(__name__)
NO_CONFIG = lb_pb2.LbConfig()  # what an agent whose cluster has no load balancer is sent (never changed)
INTERVAL_SECONDS = 0.5


class LbFeed:
    def __init__(self, lbs: LoadBalancers, interval: float = INTERVAL_SECONDS) -> None:
        self.lbs = lbs
        self.interval = interval
        self._subscribers: dict[tuple[str, str], asyncio.Queue[lb_pb2.LbConfig]] = {}
        self._runner: asyncio.Task | None = None

    @contextlib.asynccontextmanager
    async def subscribe(
        self, cluster: str, instance_arn: str
    ) -> AsyncIterator[asyncio.Queue[lb_pb2.LbConfig]]:
        """A queue that receives the instance's configuration, first at once, then on every change."""
        q: asyncio.Queue[lb_pb2.LbConfig] = asyncio.Queue(maxsize=1)
        self._subscribers[(cluster, instance_arn)] = q
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        try:
            yield q
        finally:
            if self._subscribers.get((cluster, instance_arn)) is q:
                del self._subscribers[(cluster, instance_arn)]

    async def _run(self) -> None:
        sent: dict[tuple[str, str], lb_pb2.LbConfig] = {}
        while self._subscribers:
            try:
                await self._tick(sent)
            except asyncio.CancelledError:
                raise
            except ShoalError as exc:
                log.warning("load balancer configurations: %s", exc)
            except Exception:
                log.exception("load balancer configurations failed")
            await asyncio.sleep(self.interval)

    async def _tick(self, sent: dict[tuple[str, str], lb_pb2.LbConfig]) -> None:
        subs = dict(self._subscribers)
        for key in list(sent):
            if key not in subs:
                del sent[key]
        lbs = await self.lbs._all_load_balancers()
        with_lbs = {lb.cluster_arn for lb in lbs}
        configs: dict[str, dict[str, lb_pb2.LbConfig]] = {}
        for cluster in {c for c, _ in subs}:
            if arns.cluster_arn(cluster) in with_lbs:
                configs[cluster] = await self.lbs.configs(cluster)
        for (cluster, arn), q in subs.items():
            cfg = configs.get(cluster, {}).get(arn) or NO_CONFIG
            last = sent.get((cluster, arn))
            if last is cfg or last == cfg:  # thousands of agents without a load balancer: no compare
                continue
            sent[(cluster, arn)] = cfg
            if q.full():  # only the newest configuration matters
                q.get_nowait()
            q.put_nowait(cfg)
