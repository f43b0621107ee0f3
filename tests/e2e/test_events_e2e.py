"""The cluster event stream end to end: a real manager (with a webhook sink), a real agent, real
containers, `shoal events` as users run it."""

from __future__ import annotations

import http.server
import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, LocalCluster, free_port, wait_for
from tests.e2e.test_services_e2e import register, td

pytestmark = pytest.mark.e2e


class Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def hook() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events?token=s3cret"
    server.shutdown()


@pytest.fixture
def cluster(tmp_path: Path, docker_client, busybox_image, hook: str) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path, docker_client, "--events-webhook", hook)
    c.start_manager()
    c.add_agent("shoal-events-a", "local-a")
    c.wait_connected(1)
    yield c
    c.close()


class Follower:
    """`shoal events --follow --output json` in the background; its lines on a queue."""

    def __init__(self, c: LocalCluster, *args: str) -> None:
        env = dict(
            os.environ,
            SHOAL_ENDPOINT=c.endpoint,
            SHOAL_CA_FILE=str(c.ca_file),
            SHOAL_API_KEY=c.admin_key,
        )
        self.proc = subprocess.Popen(
            [str(BIN / "shoal"), "events", "--follow", "--output", "json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def until(self, done, timeout: float = 60) -> list[dict]:
        seen: list[dict] = []
        while not done(seen):
            try:
                seen.append(json.loads(self.lines.get(timeout=timeout)))
            except queue.Empty:
                raise AssertionError(f"`shoal events --follow` saw only {seen}") from None
        return seen

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=10)
        return err


def test_task_service_and_instance_events_stream_in_order(
    cluster: LocalCluster, hook: str, tmp_path: Path
) -> None:
    c = cluster
    follower = Follower(c, "--type", "task")
    short = register(c, tmp_path, td("shoal-events-short", command="sleep 1", health=False))
    task_arn = c.json("task", "run", "--task-definition", short)["tasks"][0]["taskArn"]

    def stopped(seen: list[dict]) -> bool:
        return any(
            e["detail"]["taskArn"] == task_arn and e["detail"]["lastStatus"] == "STOPPED" for e in seen
        )

    seen = follower.until(stopped)
    err = follower.stop()
    assert "waiting for events of cluster default (task)" in err
    mine = [e for e in seen if e["detail"]["taskArn"] == task_arn]
    statuses = [e["detail"]["lastStatus"] for e in mine]
    for earlier, later in (("PENDING", "RUNNING"), ("RUNNING", "STOPPED")):
        assert earlier in statuses and statuses.index(earlier) < statuses.index(later), statuses
    first = mine[0]
    assert set(first) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (first["version"], first["source"], first["detail-type"]) == (
        "0",
        "aws.ecs",
        "ECS Task State Change",
    )
    assert first["resources"] == [task_arn] and first["detail"]["taskArn"] == task_arn
    assert len({e["id"] for e in seen}) == len(seen)

    # A service that reaches a steady state says so as an ECS Service Action.
    web = register(
        c, tmp_path, td("shoal-events-web", command="trap 'exit 0' TERM; sleep 3600 & wait", health=False)
    )
    c.shoal("service", "create", "--service-name", "ev-web", "--task-definition", web, "--desired-count", "1")

    def steady() -> list[dict] | None:
        found = c.json("events", "--type", "service", "--service", "ev-web")["events"]
        return found if any(e["detail"]["eventName"] == "SERVICE_STEADY_STATE" for e in found) else None

    actions = wait_for(steady, 90, "a SERVICE_STEADY_STATE event")
    assert {e["detail-type"] for e in actions} == {"ECS Service Action"}
    assert all(e["resources"] == [actions[0]["resources"][0]] for e in actions)
    assert actions[0]["resources"][0].endswith("service/default/ev-web")

    # Filters cut: --service keeps only that service's events (its tasks' too), --type only that type.
    of_service = c.json("events", "--service", "ev-web")["events"]
    kinds = {e["detail-type"] for e in of_service}
    assert {"ECS Service Action", "ECS Task State Change", "ECS Deployment State Change"} <= kinds
    assert all(
        e["detail"].get("group") == "service:ev-web" or e["detail"].get("serviceName") == "ev-web"
        for e in of_service
    )
    assert task_arn not in json.dumps(of_service)
    instances = c.json("events", "--type", "instance")["events"]
    assert instances and {e["detail-type"] for e in instances} == {"ECS Container Instance State Change"}
    remaining = {r["name"]: r for r in instances[-1]["detail"]["remainingResources"]}
    assert remaining["MEMORY"]["integerValue"] <= 4096  # ECS's detail: what is left for tasks
    assert c.json("events", "--since", "2100-01-01T00:00:00Z")["events"] == []
    table = c.shoal("events", "--type", "task", "--limit", "2").stdout.strip().splitlines()
    assert len(table) == 2 and all("ECS Task State Change" in line for line in table)

    # Mistakes: one readable line, no traceback.
    bad = c.shoal("events", "--since", "yesterday-ish", check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error:"), bad.stderr
    assert "--since" in bad.stderr
    bad = c.shoal("events", "--type", "ECS Task State Chnage", check=False)
    assert bad.returncode == 1 and "INVALID_ARGUMENT" in bad.stderr and bad.stderr.count("\n") == 1

    # The webhook got the same events, as EventBridge JSON; its token never reaches the log.
    wait_for(lambda: any(e["resources"] == [task_arn] for e in Hook.received), 30, "the webhook's events")
    assert all(e["version"] == "0" and e["id"] for e in Hook.received)
    assert "s3cret" not in c.manager.log()
    c.shoal("service", "delete", "ev-web", "--force")

    # `--follow` rides out a manager restart: it reconnects and goes on after the last event printed.
    follower = Follower(c, "--type", "task", "--since", "1h")
    before = follower.until(lambda seen: any(e["detail"]["taskArn"] == task_arn for e in seen))
    c.manager.stop()
    c.manager.start()
    c.wait_connected(1)
    later = c.json("task", "run", "--task-definition", short)["tasks"][0]["taskArn"]
    after = follower.until(lambda seen: any(e["detail"]["taskArn"] == later for e in seen), timeout=90)
    err = follower.stop()
    assert "reconnecting" in err
    ids = [e["id"] for e in before + after]
    assert len(ids) == len(set(ids)), "an event was printed twice across the reconnect"
