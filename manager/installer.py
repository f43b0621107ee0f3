"""Serves new VMs what they need to join, over HTTPS: install-agent.sh, the cluster CA, the agent's wheels."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger(__name__)
SCRIPT_NAME = "install-agent.sh"
WHEEL_BUILD_TIMEOUT_SECONDS = 600


def public_key_pin(key: ec.EllipticCurvePrivateKey) -> str:
    """curl's --pinnedpubkey value for a serving key: sha256// and the base64 SHA-256 of its SPKI."""
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()).decode()


def install_script() -> bytes:
    """deploy/install-agent.sh as shipped inside the package (a symlink in the source tree)."""
    return resources.files("shoal.manager").joinpath(SCRIPT_NAME).read_bytes()


class WheelhouseUnavailable(Exception):
    """The agent's wheels cannot be served (the build failed); the message says what to do."""


class Wheelhouse:
    """The shoal wheel and its dependencies as a pip --find-links directory.

    Given (--agent-wheelhouse), it is served as is. Otherwise it is built from the manager's own
    installation when a join token is printed (a VM is coming) or on the first request, not at
    start: the build takes several seconds of CPU. Dependency wheels of an earlier build are reused.
    """

    def __init__(self, directory: Path, build: bool) -> None:
        self.directory = directory
        self._build = build
        self._built = not build
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None

    def warm(self) -> None:
        """Build in the background now, so that the VM about to install finds the wheels ready."""
        if self._built or (self._warming is not None and self._warming.is_alive()):
            return
        self._warming = threading.Thread(target=self._warm, name="wheelhouse", daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        try:
            self.wheels()
        except WheelhouseUnavailable as exc:
            log.warning("%s", exc)

    def wheels(self) -> list[str]:
        """File names of the wheels, once the wheelhouse is ready (built now if needed)."""
        with self._lock:
            if not self._built:
                self._build_now()
                self._built = True
        try:
            return sorted(p.name for p in self.directory.iterdir() if p.name.endswith(".whl"))
        except OSError as exc:
            raise WheelhouseUnavailable(f"cannot read the wheelhouse {self.directory}: {exc}") from None

    def _build_now(self) -> None:
        source = _shoal_source()
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=".wheelhouse-", dir=self.directory.parent))
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
        cmd += ["--wheel-dir", str(fresh)]
        if self.directory.is_dir():
            cmd += ["--find-links", str(self.directory)]
        log.info("building the agent wheelhouse from %s", source)
        try:
            r = subprocess.run(
                [*cmd, source], capture_output=True, text=True, timeout=WHEEL_BUILD_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            shutil.rmtree(fresh, ignore_errors=True)
            raise WheelhouseUnavailable("building the agent wheelhouse timed out") from None
        if r.returncode != 0:
            shutil.rmtree(fresh, ignore_errors=True)
            errors = [line for line in r.stderr.splitlines() if line.startswith("ERROR")] or [""]
            raise WheelhouseUnavailable(
                f"cannot build the agent wheelhouse ({errors[-1].strip() or 'pip wheel failed'}); "
                "give the manager --agent-wheelhouse DIR (pip wheel -w DIR shoal on a machine with an index)"
            )
        if self.directory.exists():
            shutil.rmtree(self.directory)
        os.replace(fresh, self.directory)
        log.info("agent wheelhouse ready in %s", self.directory)


def _shoal_source() -> str:
    """What pip can build the running shoal from: its source tree or wheel if local, else its release."""
    dist = metadata.distribution("shoal")
    direct = dist.read_text("direct_url.json")
    if direct:
        url = urlparse(json.loads(direct).get("url", ""))
        if url.scheme == "file" and Path(unquote(url.path)).exists():
            return unquote(url.path)
    return f"shoal=={dist.version}"


class InstallerServer:
    """HTTPS on its own port, with the API's serving certificate; GET only, nothing secret."""

    def __init__(
        self,
        listen: str,
        cert_chain_pem: bytes,
        key: ec.EllipticCurvePrivateKey,
        ca_pem: bytes,
        wheels: Wheelhouse,
    ) -> None:
        host, _, port = listen.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.files = {
            "/" + SCRIPT_NAME: (install_script(), "text/x-shellscript"),
            "/ca.pem": (ca_pem, "text/plain"),
        }
        self.wheels = wheels
        self._tls = _server_context(cert_chain_pem, key)
        self._httpd: _TlsHttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._httpd = _TlsHttpServer((self.host, self.port), _Handler, self)
        except OSError as exc:
            raise SystemExit(
                f"shoal-manager: cannot listen on {self.host}:{self.port} (--installer-listen): {exc}"
            ) from None
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="installer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def _server_context(cert_chain_pem: bytes, key: ec.EllipticCurvePrivateKey) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # load_cert_chain reads files only: hand it a private temporary copy, gone right after.
    with tempfile.TemporaryDirectory(prefix="shoal-installer-") as tmp:
        cert, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert.write_bytes(cert_chain_pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        ctx.load_cert_chain(cert, key_file)
    return ctx


class _TlsHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, installer: InstallerServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.installer = installer
        super().__init__(address, handler)

    def finish_request(self, request, client_address) -> None:
        # The TLS handshake happens here, in the request's thread, so a slow client never blocks accept().
        request.settimeout(30)
        try:
            tls = self.installer._tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("installer: TLS handshake with %s failed: %s", client_address[0], exc)
            return
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address) -> None:
        log.debug("installer: error serving %s", client_address[0], exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _TlsHttpServer
    server_version = "shoal-installer"

    def do_GET(self) -> None:
        installer = self.server.installer
        path = urlparse(self.path).path
        if path in installer.files:
            body, kind = installer.files[path]
            if path == "/" + SCRIPT_NAME:
                log.info("installer: %s fetched %s", self.client_address[0], SCRIPT_NAME)
            return self._send(HTTPStatus.OK, body, kind)
        if path in ("/wheels", "/wheels/") or path.startswith("/wheels/"):
            try:
                names = installer.wheels.wheels()
            except WheelhouseUnavailable as exc:
                log.warning("installer: %s", exc)
                return self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"{exc}\n".encode(), "text/plain")
            name = path.removeprefix("/wheels").strip("/")
            if not name:
                links = "".join(f'<a href="{html.escape(n)}">{html.escape(n)}</a><br>\n' for n in names)
                return self._send(
                    HTTPStatus.OK, f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode()
                )
            if name in names:  # only names listed: no path ever leaves the wheelhouse
                body = (installer.wheels.directory / name).read_bytes()
                return self._send(HTTPStatus.OK, body, "application/octet-stream")
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, kind: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("installer: %s %s", self.address_string(), format % args)
