"""Logs and exec streams the manager opens over the session: Docker readers in threads, flow-controlled.

Each stream may have at most `window` StreamData messages out that the manager has not acknowledged
(StreamInput.credit). A stream whose caller reads slowly therefore stops its own Docker reader (which
then leaves the rest in the engine) instead of filling the session, which carries heartbeats and task
reports too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC

from shoal.agent.containers import RuntimeFailure
from shoal.core.logs import docker_timestamp
from shoal.v1 import agent_pb2

log = logging.getLogger(__name__)
DEFAULT_WINDOW = 16
MAX_WINDOW = 256
BATCH_LINES = 1000  # lines gathered into one message when they are there already
MAX_MESSAGE_BYTES = 1024 * 1024
BATCH_QUEUE = 2048  # reads (a line or more each) queued ahead of the window, per stream


class StreamClosed(Exception):
    """The manager cancelled the stream (its caller went away)."""


class _Stream:
    """One stream's flow control: `send` blocks the producing thread while the window is used up."""

    def __init__(self, stream_id: int, window: int, emit: Callable[[agent_pb2.StreamData], None]) -> None:
        self.id = stream_id
        self._credit = window
        self._cond = threading.Condition()
        self._emit = emit  # thread-safe: hands the message to the event loop
        self.cancelled = threading.Event()
        self.closers: list[Callable[[], None]] = []
        self.exec = None  # the ExecSession of an exec stream
        self.stdin: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self.finished = False

    def grant(self, n: int) -> None:
        with self._cond:
            self._credit += n
            self._cond.notify_all()

    def send(self, data: agent_pb2.StreamData) -> None:
        with self._cond:
            while self._credit <= 0 and not self.cancelled.is_set():
                self._cond.wait(1.0)
            if self.cancelled.is_set():
                raise StreamClosed()
            self._credit -= 1
        data.stream_id = self.id
        self._emit(data)

    def finish(self, error_code: str = "", error: str = "", exit_code: int | None = None) -> None:
        """The last message of the stream (never blocked by the window: it is tiny)."""
        if self.finished:
            return
        self.finished = True
        end = agent_pb2.StreamData(stream_id=self.id, end=True, error_code=error_code, error=error[:1024])
        if exit_code is not None:
            end.exit_code = exit_code
        self._emit(end)

    def cancel(self) -> None:
        self.cancelled.set()
        with self._cond:
            self._cond.notify_all()
        # Closing a Docker stream may wait on its socket: never on the event loop.
        closers, self.closers = list(self.closers), []
        if closers:
            threading.Thread(target=_close_all, args=(closers,), daemon=True).start()
        with contextlib.suppress(queue.Full):
            self.stdin.put_nowait(None)


def _guarded(s: _Stream, fn: Callable[..., None], *args: object) -> None:
    """A stream's thread: whatever goes wrong, the stream ends (its caller never waits forever)."""
    try:
        fn(s, *args)
    except Exception as exc:
        log.exception("stream %d failed", s.id)
        s.finish("UNAVAILABLE", f"the agent could not serve the stream: {exc}")
        s.cancel()


def _close_all(closers: list[Callable[[], None]]) -> None:
    for close in closers:
        with contextlib.suppress(Exception):
            close()


class StreamHost:
    """Serves the session's StreamOpen/StreamInput messages for the tasks of this agent."""

    def __init__(self, worker, runtime, send: Callable[[agent_pb2.AgentMessage], None]) -> None:
        self.worker = worker
        self.runtime = runtime
        self._send = send  # called on the event loop
        self._streams: dict[int, _Stream] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _emit_threadsafe(self, data: agent_pb2.StreamData) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._send, agent_pb2.AgentMessage(stream_data=data))
        if data.end:
            self._loop.call_soon_threadsafe(self._streams.pop, data.stream_id, None)

    def close_all(self) -> None:
        """The session ended: every stream over it ends too."""
        for s in list(self._streams.values()):
            s.cancel()
        self._streams.clear()

    def handle_open(self, msg: agent_pb2.StreamOpen) -> None:
        self._loop = asyncio.get_running_loop()
        window = max(1, min(msg.window or DEFAULT_WINDOW, MAX_WINDOW))
        s = _Stream(msg.stream_id, window, self._emit_threadsafe)
        self._streams[msg.stream_id] = s
        kind = msg.WhichOneof("kind")
        try:
            if kind == "logs":
                targets = self._containers(msg.logs.task_arn, msg.logs.container_name, running=False)
                threading.Thread(
                    target=_guarded, args=(s, self._logs, msg.logs, targets), daemon=True, name=f"logs-{s.id}"
                ).start()
            elif kind == "exec":
                [(_name, cid)] = self._containers(msg.exec.task_arn, msg.exec.container_name, running=True)
                threading.Thread(
                    target=_guarded, args=(s, self._exec, msg.exec, cid), daemon=True, name=f"exec-{s.id}"
                ).start()
            else:
                s.finish("INVALID_ARGUMENT", "this agent does not know that kind of stream")
        except _Refused as exc:
            s.finish(exc.code, str(exc))

    def handle_input(self, msg: agent_pb2.StreamInput) -> None:
        s = self._streams.get(msg.stream_id)
        if s is None:
            return
        if msg.cancel:
            s.cancel()
            self._streams.pop(msg.stream_id, None)
            return
        if msg.credit:
            s.grant(msg.credit)
        if msg.stdin:
            try:
                s.stdin.put_nowait(msg.stdin)
            except queue.Full:
                log.warning("exec stream %d: stdin overflow; input dropped", s.id)
        if msg.stdin_closed:
            with contextlib.suppress(queue.Full):
                s.stdin.put_nowait(None)
        if msg.rows > 0 and msg.cols > 0 and s.exec is not None:
            exec_session = s.exec
            threading.Thread(target=exec_session.resize, args=(msg.rows, msg.cols), daemon=True).start()

    # -- which containers ------------------------------------------------------------------------
    def _containers(self, task_arn: str, container: str, *, running: bool) -> list[tuple[str, str]]:
        lt = self.worker.tasks.get(task_arn)
        iid = self.worker.instance_id
        if lt is None:
            raise _Refused(
                "FAILED_PRECONDITION",
                f"task {task_arn.rsplit('/', 1)[-1]} is no longer on instance {iid} "
                "(cleaned up after it stopped)",
            )
        names = [container] if container else list(lt.containers)
        out = []
        for name in names:
            c = lt.containers.get(name)
            if c is None:
                raise _Refused("NOT_FOUND", f"task {task_arn.rsplit('/', 1)[-1]} has no container {name!r}")
            if not c.container_id:
                if container:
                    raise _Refused("FAILED_PRECONDITION", f"container {name} was never created")
                continue
            if running and c.status != "RUNNING":
                raise _Refused(
                    "FAILED_PRECONDITION", f"container {name} is {c.status}: exec needs a RUNNING container"
                )
            out.append((name, c.container_id))
        if running and len(out) != 1:
            raise _Refused(
                "INVALID_ARGUMENT",
                f"the task has {len(lt.containers)} containers: name one with --container "
                f"({', '.join(sorted(lt.containers))})",
            )
        return out

    # -- logs ------------------------------------------------------------------------------------
    def _logs(self, s: _Stream, req: agent_pb2.StreamLogs, targets: list[tuple[str, str]]) -> None:
        s.send(agent_pb2.StreamData(session_id="logs"))  # opened: the manager stops waiting for us
        since = req.since.ToDatetime(tzinfo=UTC).timestamp() if req.HasField("since") else None
        lines: queue.Queue[tuple[str, list[bytes]] | None] = queue.Queue(maxsize=BATCH_QUEUE)
        errors: list[str] = []

        def read(name: str, cid: str) -> None:
            try:
                reader = self.runtime.container_logs(cid, follow=req.follow, since=since, tail=req.tail)
                s.closers.append(reader.close)
                for batch in reader:
                    while not s.cancelled.is_set():
                        try:
                            lines.put((name, batch), timeout=1.0)
                            break
                        except queue.Full:
                            continue
                    if s.cancelled.is_set():
                        return
            except RuntimeFailure as exc:
                errors.append(str(exc))
            except Exception as exc:  # a runtime without logs (simulated), an engine gone
                errors.append(f"CannotReadLogsError: {exc}")
            finally:
                while not s.cancelled.is_set():
                    try:
                        lines.put(None, timeout=1.0)
                        break
                    except queue.Full:
                        continue

        for name, cid in targets:
            threading.Thread(target=read, args=(name, cid), daemon=True, name=f"logs-{s.id}-{name}").start()
        live = len(targets)
        try:
            while live > 0:
                taken = [lines.get()]
                count = len(taken[0][1]) if taken[0] else 0
                while count < BATCH_LINES:
                    try:
                        nxt = lines.get_nowait()
                    except queue.Empty:
                        break
                    taken.append(nxt)
                    count += len(nxt[1]) if nxt else 0
                data, size = agent_pb2.StreamData(), 0
                for item in taken:
                    if item is None:
                        live -= 1
                        continue
                    name, raws = item
                    for raw in raws:
                        if size >= MAX_MESSAGE_BYTES:  # messages stay far below gRPC's limits
                            s.send(data)
                            data, size = agent_pb2.StreamData(), 0
                        size += len(raw) + 48
                        stamped = docker_timestamp(raw)
                        line = data.lines.add(container_name=name)
                        if stamped is None:
                            line.timestamp.GetCurrentTime()
                            line.message = raw
                        else:
                            line.timestamp.seconds, line.timestamp.nanos, line.message = stamped
                if data.lines:
                    s.send(data)
            if errors:
                s.finish("FAILED_PRECONDITION", errors[0])
            else:
                s.finish()
        except StreamClosed:
            pass
        finally:
            s.cancel()

    # -- exec ------------------------------------------------------------------------------------
    def _exec(self, s: _Stream, req: agent_pb2.StreamExec, cid: str) -> None:
        try:
            session = self.runtime.exec_open(cid, list(req.command), interactive=req.interactive, tty=req.tty)
        except RuntimeFailure as exc:
            s.finish("FAILED_PRECONDITION", str(exc))
            return
        except Exception as exc:
            s.finish("FAILED_PRECONDITION", f"ExecuteCommandError: {exc}")
            return
        s.exec = session
        s.closers.append(session.close)
        if req.tty and req.rows > 0 and req.cols > 0:
            session.resize(req.rows, req.cols)

        def pump_stdin() -> None:
            while True:
                data = s.stdin.get()
                if data is None or s.cancelled.is_set():
                    if not s.cancelled.is_set():
                        session.close_stdin()
                    return
                session.write(data)

        if req.interactive:
            threading.Thread(target=pump_stdin, daemon=True, name=f"exec-{s.id}-stdin").start()
        try:
            s.send(agent_pb2.StreamData(session_id=f"{cid[:12]}-{session.exec_id[:12]}"))
            for stream, chunk in session.frames():
                s.send(
                    agent_pb2.StreamData(stderr=chunk) if stream == 2 else agent_pb2.StreamData(stdout=chunk)
                )
            s.finish(exit_code=session.exit_code())
        except StreamClosed:
            pass
        except Exception as exc:
            s.finish("UNAVAILABLE", f"exec ended: {exc}")
        finally:
            s.cancel()


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
