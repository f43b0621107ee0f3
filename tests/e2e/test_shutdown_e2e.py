"""A graceful, prompt stop on SIGTERM (an operator's `systemctl stop`) of the real manager and agent,
while streams are open and engine calls are in flight.

The bounds below are generous (several times what a stop takes on a busy machine): they fail only when
a stop waits out something it should not, such as a container's stopTimeout, gRPC's grace for streams
that never end on their own, or a TLS client that does not answer the close of its connection.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, TEST_IMAGE, LocalCluster, Proc, free_port, wait_for

NO_PULL = ("--image-pull-behavior", "prefer-cached")  # the test image is local: no registry asked
STOP_TIMEOUT = 12  # the stubborn container's: a docker stop of it takes this long


def sigterm(proc: Proc, within: float, what: str) -> int:
    """SIGTERM the process and return its exit code; fail if it is still running after `within` s."""
    assert proc.popen is not None
    proc.popen.terminate()
    try:
        return proc.popen.wait(within)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} still runs {within:.0f} s after SIGTERM; its log:\n{proc.log()[-3000:]}")


def follow(c: LocalCluster, name: str, *args: str) -> tuple[subprocess.Popen, Path, Path]:
    """A `shoal ... --follow` left running, its output and errors in files."""
    out, err = c.root / f"{name}.out", c.root / f"{name}.err"
    env = dict(os.environ, SHOAL_ENDPOINT=c.endpoint, SHOAL_CA_FILE=str(c.ca_file), SHOAL_API_KEY=c.admin_key)
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([str(BIN / "shoal"), *args], stdout=o, stderr=e, env=env)
    return proc, out, err


def ended(proc: subprocess.Popen, what: str) -> int:
    try:
        return proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{what} did not end")


def run_task(c: LocalCluster, family: str, command: str, **container: object) -> str:
    doc = {
        "family": family,
        "containerDefinitions": [
            {"name": "app", "image": TEST_IMAGE, "memory": 32, "command": ["sh", "-c", command], **container}
        ],
    }
    (c.root / f"{family}.json").write_text(json.dumps(doc))
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{c.root / f'{family}.json'}")
    arn = c.json("task", "run", "--task-definition", family)["tasks"][0]["taskArn"]
    c.shoal("task", "wait", "running", arn, "--timeout", "60")
    return arn


@pytest.mark.e2e
def test_manager_ends_open_streams_and_exits_at_once_on_sigterm(local_cluster: LocalCluster) -> None:
    c = local_cluster
    c.add_agent("a", "az-1", *NO_PULL)
    c.wait_connected(1)
    arn = run_task(c, "ticker", "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done")
    logs, logs_out, logs_err = follow(c, "logs", "task", "logs", arn, "--follow")
    events, events_out, events_err = follow(c, "events", "events", "--follow")
    try:
        wait_for(lambda: "tick" in logs_out.read_text(), 30, "the logs follow to print")
        wait_for(lambda: "ECS Task State Change" in events_out.read_text(), 30, "the events follow to print")

        assert sigterm(c.manager, 10, "the manager") == 0
        # Each stream ended at once with a reason the caller can act on (before, gRPC's grace ran out
        # and cut them off: all the CLI could say was that it cannot reach the manager).
        assert ended(logs, "the logs follow") != 0
        assert "the manager is shutting down" in logs_err.read_text(), logs_err.read_text()
        # An events follow goes on after a manager restart: it says why it lost the stream and retries.
        wait_for(
            lambda: (
                "connection lost (the Shoal manager" in events_err.read_text()
                and "the manager is shutting down" in events_err.read_text()
            ),
            15,
            "the events follow to say why its stream ended",
        )
        assert events.poll() is None, "the events follow reconnects rather than ending"
    finally:
        for proc in (logs, events):
            proc.kill()
            proc.wait(10)
    assert "Traceback" not in logs_err.read_text() + events_err.read_text()
    assert "shut down" in c.manager.log()
    # The agent was told too, and goes on trying to reconnect.
    wait_for(lambda: "the manager is shutting down" in c.agents["a"].log(), 10, "the agent to hear why")
    assert c.agents["a"].popen is not None and c.agents["a"].popen.poll() is None


@pytest.mark.e2e
def test_agent_exits_at_once_on_sigterm_while_a_container_stop_is_in_flight(
    local_cluster: LocalCluster,
) -> None:
    c = local_cluster
    c.add_agent("a", "az-1", *NO_PULL)
    c.wait_connected(1)
    # The trap answers SIGTERM and carries on: the engine's stop waits out the whole stopTimeout.
    arn = run_task(
        c,
        "stubborn",
        "trap 'echo got-term' TERM; while true; do echo tick; sleep 1; done",
        stopTimeout=STOP_TIMEOUT,
    )
    logs, logs_out, logs_err = follow(c, "logs", "task", "logs", arn, "--follow")
    wait_for(lambda: "tick" in logs_out.read_text(), 30, "the logs follow to print")
    [container] = c.containers_of(arn)
    c.shoal("task", "stop", arn)
    wait_for(lambda: b"got-term" in container.logs(), 30, "the agent's docker stop to signal the container")

    # Before, the agent's exit waited for that docker stop (the interpreter joins executor threads).
    assert sigterm(c.agents["a"], 8, "the agent") == 0
    container.reload()
    assert container.status == "running", "the engine, not the agent, finishes the stop"
    assert ended(logs, "the logs follow") != 0
    assert "disconnected during the stream" in logs_err.read_text(), logs_err.read_text()

    # A restarted agent takes up the outcome of the stop it left to the engine.
    c.add_agent("a", "az-1", *NO_PULL)
    c.shoal("task", "wait", "stopped", arn, "--timeout", "60")
    task = c.describe_task(arn)
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "UserInitiated", task


@pytest.mark.e2e
def test_manager_exits_at_once_on_sigterm_with_idle_keep_alive_tls_clients(
    tmp_path: Path, docker_client
) -> None:
    ecs, metrics = free_port(), free_port()
    c = LocalCluster(
        tmp_path,
        docker_client,
        "--ecs-listen",
        f"127.0.0.1:{ecs}",
        "--metrics-listen",
        f"127.0.0.1:{metrics}",
    )
    c.start_manager()
    clients = []
    try:
        # A keep-alive client between requests (an SDK's pool, Prometheus between scrapes): it holds
        # the connection open and reads nothing, so it never answers the manager's TLS close_notify.
        tls = ssl.create_default_context(cafile=str(c.ca_file))
        for port, request in (
            (ecs, b"POST / HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\n\r\n{}"),
            (metrics, b"GET /metrics HTTP/1.1\r\nHost: m\r\n\r\n"),
        ):
            s = tls.wrap_socket(
                socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="127.0.0.1"
            )
            clients.append(s)
            s.sendall(request)
            assert s.recv(64).startswith(b"HTTP/1.1 4")  # answered (unsigned, no key); kept open

        # Before, asyncio waited 30 s for each close_notify answer, past the end of the event loop.
        assert sigterm(c.manager, 10, "the manager") == 0
        log = c.manager.log()
        assert "shut down" in log and "Traceback" not in log, log[-3000:]
    finally:
        for s in clients:
            s.close()
        c.close()
