"""A unix socket relayed to the machine's Docker Engine that can go away and come back, as a restarted
dockerd's socket does, without touching the engine itself."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from pathlib import Path

ENGINE = "/var/run/docker.sock"


class EngineRelay:
    """`down()` does what a stopping dockerd does: the socket goes away and the calls' connections are
    cut. Event streams already open are cut too unless `keep_streams`: dockerd removes its socket seconds
    before it ends them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._server: socket.socket | None = None
        self._calls: list[socket.socket] = []  # client ends of connections that are not event streams
        self._streams: list[socket.socket] = []
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def down(self, keep_streams: bool = False) -> None:
        assert self._server is not None
        self._server.close()
        self.path.unlink()
        with self._lock:
            cut = self._calls + ([] if keep_streams else self._streams)
            self._calls = []
            if not keep_streams:
                self._streams = []
        for conn in cut:  # pooled keep-alive connections die with the engine's listener
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self._lock:  # counted from the start: one accepted just before down() is cut too
                self._calls.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            up.connect(ENGINE)
        except OSError:
            conn.close()
            return
        threading.Thread(target=_pump, args=(up, conn), daemon=True).start()
        _pump(conn, up, self._saw_request)

    def _saw_request(self, conn: socket.socket, data: bytes) -> None:
        """A keep-alive connection may carry calls first and then an event stream (GET /events)."""
        if b" /events" in data or b"/events?" in data:
            with self._lock:
                if conn in self._calls:
                    self._calls.remove(conn)
                    self._streams.append(conn)


def _pump(
    src: socket.socket, dst: socket.socket, seen: Callable[[socket.socket, bytes], None] | None = None
) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            if seen is not None:
                seen(src, data)
            dst.sendall(data)
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
    if seen is not None:  # the client side's pump is the last user of both sockets
        src.close()
        dst.close()
