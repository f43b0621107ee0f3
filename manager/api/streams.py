"""The Tasks service: container logs and ECS Exec, relayed to the agent session that holds the instance.

A replica that does not hold the session forwards the call to the replica that does (its API endpoint
is in the session record), with the caller's own key, so the same rules apply there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import grpc
from grpc_status import rpc_status

from shoal.core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ShoalError,
    Unavailable,
    quote,
)
from shoal.manager import events
from shoal.manager.actions import ControlPlane
from shoal.manager.api.auth import bearer, caller, check_cluster_limit
from shoal.manager.streams import StreamRouter
from shoal.v1 import agent_pb2, ecs_pb2, internal_pb2, streams_pb2, streams_pb2_grpc

log = logging.getLogger(__name__)
FORWARDED = "x-shoal-forwarded"
EXEC_DETAIL_TYPE = "ECS Exec"  # core.events knows it (`shoal events --type exec`)
MAX_COMMAND_ARGS = 256
MAX_COMMAND_BYTES = 64 * 1024
MAX_TAIL = 1_000_000
MAX_SINCE_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


class Forwarder:
    """Channels to the other replicas' API ports (TLS with the cluster CA; plaintext with --insecure)."""

    def __init__(self, ca_pem: bytes | None) -> None:
        self.ca_pem = ca_pem
        self._channels: dict[str, grpc.aio.Channel] = {}

    def stub(self, endpoint: str) -> streams_pb2_grpc.TasksStub:
        ch = self._channels.get(endpoint)
        if ch is None:
            if self.ca_pem is None:
                ch = grpc.aio.insecure_channel(endpoint)
            else:
                ch = grpc.aio.secure_channel(endpoint, grpc.ssl_channel_credentials(self.ca_pem))
            self._channels[endpoint] = ch
        return streams_pb2_grpc.TasksStub(ch)


async def _abort(context: grpc.aio.ServicerContext, exc: ShoalError) -> None:
    await context.abort_with_status(rpc_status.to_status(exc.to_status()))


def _forward_metadata(context: grpc.aio.ServicerContext) -> list[tuple[str, str]]:
    md = [(FORWARDED, "1")]
    token = bearer(context.invocation_metadata())
    if token:
        md.append(("authorization", f"Bearer {token}"))
    return md


def _forwarded(context: grpc.aio.ServicerContext) -> bool:
    return any(k == FORWARDED for k, _ in context.invocation_metadata() or ())


def _agent_error(data: agent_pb2.StreamData) -> ShoalError:
    """The agent's refusal (a status name and a message) as the error the caller gets."""
    message = data.error or "the stream failed on the agent"
    if data.error_code == "INVALID_ARGUMENT":
        return InvalidArgument("container", message)
    cls = {"NOT_FOUND": NotFound, "FAILED_PRECONDITION": FailedPrecondition}.get(data.error_code, Unavailable)
    return cls(message)


class TasksServicer(streams_pb2_grpc.TasksServicer):
    def __init__(
        self, cp: ControlPlane, router: StreamRouter, forwarder: Forwarder, endpoint: str = ""
    ) -> None:
        self.cp = cp
        self.router = router
        self.forwarder = forwarder
        self.endpoint = endpoint  # ours: never forward to ourselves

    # -- where the task runs -------------------------------------------------------------------------
    async def _task(self, cluster_ref: str, ref: str) -> tuple[str, ecs_pb2.Task]:
        if not ref:
            raise InvalidArgument("task", "is required")
        cluster = (await self.cp.clusters.get(cluster_ref or "default")).cluster_name
        found, _ = await self.cp.tasks.describe(cluster, [ref])
        if not found:
            raise NotFound(f"task {quote(ref)} not found in cluster {cluster}", field="task")
        return cluster, found[0]

    async def _route(
        self, cluster: str, task: ecs_pb2.Task, context: grpc.aio.ServicerContext
    ) -> tuple[str, str]:
        """("local", "") when this replica holds the instance's session, else ("forward", endpoint)."""
        if not task.container_instance_arn:
            raise FailedPrecondition(
                f"task {task.task_arn.rsplit('/', 1)[-1]} is not placed on an instance yet",
                reason="NOT_PLACED",
            )
        iid = task.container_instance_arn.rsplit("/", 1)[-1]
        if self.router.holds(cluster, iid):
            return "local", ""
        session = await self.cp.store.get(
            self.cp.store.keys.session(cluster, iid), internal_pb2.SessionRecord
        )
        not_connected = FailedPrecondition(
            f"instance {iid} is not connected: its agent has no session with any manager, so its "
            "containers cannot be reached (their output stays on the instance)",
            reason="AGENT_DISCONNECTED",
        )
        inst = await self.cp.store.get(self.cp.store.keys.instance(cluster, iid), ecs_pb2.ContainerInstance)
        # The session key outlives a session (it hangs on the replica's lease): the instance says.
        if session is None or inst is None or not inst.value.agent_connected:
            raise not_connected
        endpoint = session.value.stream_endpoint
        if _forwarded(context) or not endpoint or endpoint == self.endpoint:
            # The record says a session exists but no replica we can reach holds it (it is ending).
            raise Unavailable(f"instance {iid} is not connected to a reachable manager replica; retry")
        return "forward", endpoint

    # -- logs ----------------------------------------------------------------------------------------
    async def GetTaskLogs(
        self, request: streams_pb2.GetTaskLogsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[streams_pb2.GetTaskLogsResponse]:
        try:
            if request.tail < 0 or request.tail > MAX_TAIL:
                raise InvalidArgument("tail", f"must be between 0 and {MAX_TAIL}")
            if len(request.container) > 255:
                raise InvalidArgument("container", "is longer than a container name can be")
            if request.HasField("since") and not (
                0 <= request.since.seconds <= MAX_SINCE_SECONDS and 0 <= request.since.nanos < 10**9
            ):
                raise InvalidArgument("since", "must be a time between 1970 and 9999")
            cluster, task = await self._task(request.cluster, request.task)
            if request.container and request.container not in {c.name for c in task.containers}:
                raise NotFound(
                    f"task {task.task_arn.rsplit('/', 1)[-1]} has no container {quote(request.container)} "
                    f"(it has {', '.join(c.name for c in task.containers)})",
                    field="container",
                )
            where, endpoint = await self._route(cluster, task, context)
        except ShoalError as exc:
            await _abort(context, exc)
            return
        if where == "forward":
            call = self.forwarder.stub(endpoint).GetTaskLogs(request, metadata=_forward_metadata(context))
            try:
                async for item in call:
                    yield item
            except grpc.aio.AioRpcError as exc:
                await context.abort(exc.code(), exc.details() or "", exc.trailing_metadata())
            finally:
                call.cancel()
            return
        iid = task.container_instance_arn.rsplit("/", 1)[-1]
        link = self.router.holds(cluster, iid)
        if link is None:
            await _abort(context, Unavailable(f"instance {iid} disconnected; retry"))
            return
        req = agent_pb2.StreamOpen(
            logs=agent_pb2.StreamLogs(
                task_arn=task.task_arn,
                container_name=request.container,
                follow=request.follow,
                tail=request.tail,
            )
        )
        if request.HasField("since"):
            req.logs.since.CopyFrom(request.since)
        stream = self.router.open(link, req)
        try:
            while True:
                try:
                    data = await stream.recv()
                except ShoalError as exc:
                    await _abort(context, exc)
                    return
                if data.end:
                    if data.error_code:
                        await _abort(context, _agent_error(data))
                    return
                if data.session_id:  # the agent opened the stream (it answered the open in time)
                    stream.grant(1)
                    continue
                out = streams_pb2.GetTaskLogsResponse(task_arn=task.task_arn)
                out.events.extend(data.lines)
                yield out
                stream.grant(1)  # the caller took it: the agent may send one more
        finally:
            stream.close()

    # -- exec ----------------------------------------------------------------------------------------
    async def _allowed(self, cluster: str, task: ecs_pb2.Task) -> None:
        if task.enable_execute_command:
            return
        if task.group.startswith("service:"):
            found, _ = await self.cp.services.describe_services(cluster, [task.group.split(":", 1)[1]])
            if found and found[0].enable_execute_command:
                return
        raise FailedPrecondition(
            f"task {task.task_arn.rsplit('/', 1)[-1]} was not started with enableExecuteCommand: run it "
            "with --enable-execute-command (or update its service with it and deploy new tasks)",
            field="enableExecuteCommand",
            reason="EXECUTE_COMMAND_DISABLED",
        )

    async def ExecuteCommand(
        self,
        request_iterator: AsyncIterator[streams_pb2.ExecuteCommandRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[streams_pb2.ExecuteCommandResponse]:
        try:
            first = await anext(request_iterator, None)
            start = first.start if first is not None else streams_pb2.ExecuteCommandStart()
            who = caller.get()
            if who is not None and who.cluster:
                # The interceptor saw no request: the cluster is named here (empty: default).
                check_cluster_limit(who, "/shoal.v1.Tasks/ExecuteCommand", start)
            if first is None or first.WhichOneof("body") != "start":
                raise InvalidArgument("start", "the first message must be start (task, container, command)")
            if not start.command or not any(start.command):
                raise InvalidArgument("command", "is required (the program and its arguments)")
            if (
                len(start.command) > MAX_COMMAND_ARGS
                or sum(len(a) for a in start.command) > MAX_COMMAND_BYTES
            ):
                raise InvalidArgument("command", f"at most {MAX_COMMAND_ARGS} arguments and 64 KiB")
            if start.rows < 0 or start.cols < 0 or start.rows > 10000 or start.cols > 10000:
                raise InvalidArgument("rows", "terminal size must be between 0 and 10000")
            cluster, task = await self._task(start.cluster, start.task)
            if start.container and start.container not in {c.name for c in task.containers}:
                raise NotFound(
                    f"task {task.task_arn.rsplit('/', 1)[-1]} has no container {quote(start.container)}",
                    field="container",
                )
            if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
                raise FailedPrecondition(
                    f"task {task.task_arn.rsplit('/', 1)[-1]} is {task.last_status}: "
                    "exec needs a RUNNING task",
                    reason="TASK_NOT_RUNNING",
                )
            await self._allowed(cluster, task)
            where, endpoint = await self._route(cluster, task, context)
        except ShoalError as exc:
            await _abort(context, exc)
            return
        if where == "forward":

            async def replay() -> AsyncIterator[streams_pb2.ExecuteCommandRequest]:
                yield first
                async for r in request_iterator:
                    yield r

            call = self.forwarder.stub(endpoint).ExecuteCommand(replay(), metadata=_forward_metadata(context))
            try:
                async for item in call:
                    yield item
            except grpc.aio.AioRpcError as exc:
                await context.abort(exc.code(), exc.details() or "", exc.trailing_metadata())
            finally:
                call.cancel()
            return
        iid = task.container_instance_arn.rsplit("/", 1)[-1]
        link = self.router.holds(cluster, iid)
        if link is None:
            await _abort(context, Unavailable(f"instance {iid} disconnected; retry"))
            return
        container = start.container or (task.containers[0].name if len(task.containers) == 1 else "")
        await self._record(cluster, task, container, start)
        stream = self.router.open(
            link,
            agent_pb2.StreamOpen(
                exec=agent_pb2.StreamExec(
                    task_arn=task.task_arn,
                    container_name=container,
                    command=list(start.command),
                    interactive=start.interactive,
                    tty=start.tty,
                    rows=start.rows,
                    cols=start.cols,
                )
            ),
        )

        async def pump() -> None:
            async for r in request_iterator:
                body = r.WhichOneof("body")
                if body == "stdin" and start.interactive:
                    stream.stdin(r.stdin)
                elif body == "resize" and 0 < r.resize.rows <= 10000 and 0 < r.resize.cols <= 10000:
                    stream.resize(r.resize.rows, r.resize.cols)
                elif body == "stdin_closed":
                    stream.close_stdin()
            if start.interactive:
                stream.close_stdin()  # the caller half-closed: EOF on the command's stdin

        inputs = asyncio.create_task(pump())
        try:
            while True:
                try:
                    data = await stream.recv()
                except ShoalError as exc:
                    await _abort(context, exc)
                    return
                if data.end:
                    if data.error_code:
                        await _abort(context, _agent_error(data))
                        return
                    yield streams_pb2.ExecuteCommandResponse(exit_code=data.exit_code)
                    return
                if data.session_id:
                    yield streams_pb2.ExecuteCommandResponse(session_id=data.session_id)
                if data.stdout:
                    yield streams_pb2.ExecuteCommandResponse(stdout=data.stdout)
                if data.stderr:
                    yield streams_pb2.ExecuteCommandResponse(stderr=data.stderr)
                stream.grant(1)
        finally:
            inputs.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await inputs
            stream.close()

    async def _record(
        self, cluster: str, task: ecs_pb2.Task, container: str, start: streams_pb2.ExecuteCommandStart
    ) -> None:
        """Who ran what, where: an event of the cluster's stream, and the manager log."""
        who = caller.get()
        name = who.key.name if who is not None else "(insecure: no key)"
        key_id = who.key.id if who is not None else ""
        log.info(
            "ECS Exec by key %s (%s) in task %s container %s: %s",
            name,
            key_id,
            task.task_arn.rsplit("/", 1)[-1],
            container,
            quote(" ".join(start.command), 200),
        )
        await events.publish(
            self.cp.store,
            cluster=cluster,
            detail_type=EXEC_DETAIL_TYPE,
            resources=[task.task_arn],
            detail={
                "clusterArn": task.cluster_arn,
                "taskArn": task.task_arn,
                "containerName": container,
                "containerInstanceArn": task.container_instance_arn,
                "command": list(start.command),
                "interactive": start.interactive,
                "tty": start.tty,
                "principal": {"keyId": key_id, "keyName": name, "role": who.role if who else ""},
            },
        )
