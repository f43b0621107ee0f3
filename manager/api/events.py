"""gRPC servicer for the cluster event stream (server streaming)."""

from __future__ import annotations

import logging

import grpc
from grpc_status import rpc_status

from shoal.core import events as event_rules
from shoal.core.errors import ShoalError
from shoal.manager import events
from shoal.manager.actions.clusters import Clusters
from shoal.manager.store.etcd import Store
from shoal.v1 import events_pb2, events_pb2_grpc

log = logging.getLogger(__name__)


class EventsServicer(events_pb2_grpc.EventsServicer):
    def __init__(self, store: Store, clusters: Clusters) -> None:
        self.store = store
        self.clusters = clusters

    async def StreamEvents(self, request, context):
        try:
            f = event_rules.validate_stream(request)
            if f.cluster != "default":  # `default` exists implicitly, as in ECS
                await self.clusters.existing(f.cluster)
            async for event in events.stream(self.store, f):
                yield events_pb2.StreamEventsResponse(event=event)
        except ShoalError as exc:
            await context.abort_with_status(rpc_status.to_status(exc.to_status()))
        except Exception:
            log.exception("internal error in StreamEvents")
            await context.abort(
                grpc.StatusCode.INTERNAL, "internal error in StreamEvents; see the manager log"
            )
