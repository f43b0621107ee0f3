"""Container logs and ECS Exec through the real manager, agent session and Docker Engine."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import grpc
import pytest

from tests.conftest import BIN, TEST_IMAGE, LocalCluster, wait_for

GROUP = "/ecs/shoal-logs-e2e"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, docker_client, busybox_image) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("logs"), docker_client)
    c.start_manager()
    c.add_agent("a", "az-1", "--log-max-size", "1m", "--log-max-files", "2")
    c.wait_connected(1)
    yield c
    c.close()


def register(c: LocalCluster, family: str, command: str, **container: object) -> None:
    doc = {
        "family": family,
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "memory": 32,
                "command": ["sh", "-c", command],
                "stopTimeout": 2,  # sh as PID 1 ignores SIGTERM
                **container,
            }
        ],
    }
    path = c.root / f"{family}.json"
    path.write_text(json.dumps(doc))
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{path}")


def run(c: LocalCluster, family: str, *extra: str) -> str:
    arn = c.json("task", "run", "--task-definition", family, *extra)["tasks"][0]["taskArn"]
    c.shoal("task", "wait", "running", arn, "--timeout", "60")
    return arn


def logs(c: LocalCluster, *args: str) -> list[str]:
    return c.shoal("task", "logs", *args).stdout.splitlines()


SEQUENCE = "i=1; while [ $i -le 50 ]; do echo line-$i; i=$((i+1)); done; sleep 2; echo late; sleep 300"


def test_logs_in_order_tail_since_awslogs_names_and_after_the_task_stopped(cluster: LocalCluster) -> None:
    c = cluster
    register(
        c,
        "seq",
        SEQUENCE,
        logConfiguration={
            "logDriver": "awslogs",
            "options": {"awslogs-group": GROUP, "awslogs-region": "local", "awslogs-stream-prefix": "web"},
        },
    )
    arn = run(c, "seq")
    tid = arn.rsplit("/", 1)[-1]
    wait_for(lambda: "late" in logs(c, tid), 30, "the container's last line")
    expected = [f"line-{i}" for i in range(1, 51)] + ["late"]
    assert logs(c, tid) == expected
    assert logs(c, tid, "--tail", "3") == ["line-49", "line-50", "late"]
    stamped = logs(c, tid, "--timestamps")
    assert [line.split(" ", 1)[1] for line in stamped] == expected
    late_at = datetime.fromisoformat(stamped[-1].split(" ", 1)[0].replace("Z", "+00:00"))
    since = (late_at - timedelta(milliseconds=500)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert logs(c, tid, "--since", since) == ["late"]
    assert logs(c, tid, "--since", "1h") == expected
    # awslogs is Shoal's own: kept on the VM by the agent's rotated driver, found by group and stream.
    [container] = c.containers_of(arn)
    assert container.attrs["HostConfig"]["LogConfig"] == {
        "Type": "local",
        "Config": {"max-size": "1m", "max-file": "2"},
    }
    described = c.describe_task(arn)["containers"][0]
    assert (described["logGroup"], described["logStream"]) == (GROUP, f"web/app/{tid}")
    tail = c.shoal("logs", "tail", GROUP, "--log-stream-name-prefix", "web/app/").stdout.splitlines()
    assert [line.split(" ", 2)[1:] for line in tail][-2:] == [
        [f"web/app/{tid}", "line-50"],
        [f"web/app/{tid}", "late"],
    ]
    assert c.shoal("logs", "tail", GROUP, "--log-stream-name-prefix", "other/").stdout == ""
    # Stopped: the output stays readable until the agent cleans the task up.
    c.shoal("task", "stop", tid)
    wait_for(lambda: c.describe_task(arn)["lastStatus"] == "STOPPED", 60, "the task to stop")
    assert logs(c, tid)[:50] == expected[:50]
    bad = c.shoal("task", "logs", tid, "--container", "nope", check=False)
    assert bad.returncode == 1 and "has no container 'nope'" in bad.stderr and "NOT_FOUND" in bad.stderr
    bad = c.shoal("task", "logs", tid, "--since", "yesterday", check=False)
    assert bad.returncode == 1 and "neither a duration" in bad.stderr


def test_an_unknown_log_driver_runs_with_the_default_and_says_so(cluster: LocalCluster) -> None:
    c = cluster
    doc = {
        "family": "splunky",
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "memory": 32,
                "command": ["sh", "-c", "echo kept-anyway; sleep 300"],
                "stopTimeout": 2,
                "logConfiguration": {"logDriver": "splunk", "options": {"splunk-url": "https://x"}},
            }
        ],
    }
    path = c.root / "splunky.json"
    path.write_text(json.dumps(doc))
    registered = c.shoal("task-definition", "register", "--cli-input-json", f"file://{path}")
    assert "splunk is kept" in registered.stderr + registered.stdout
    arn = run(c, "splunky")
    [container] = c.containers_of(arn)
    assert container.attrs["HostConfig"]["LogConfig"]["Type"] == "local"
    assert "'splunk' is not available" in c.describe_task(arn)["containers"][0]["reason"]
    assert wait_for(lambda: logs(c, arn) == ["kept-anyway"], 30, "the line")
    assert "'splunk' is not available" in c.agents["a"].log()
    c.shoal("task", "stop", arn)


def test_follow_sees_new_lines_as_they_are_written(cluster: LocalCluster) -> None:
    c = cluster
    register(c, "ticker", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done")
    tid = run(c, "ticker").rsplit("/", 1)[-1]
    env = dict(os.environ, SHOAL_ENDPOINT=c.endpoint, SHOAL_CA_FILE=str(c.ca_file), SHOAL_API_KEY=c.admin_key)
    proc = subprocess.Popen(
        [str(BIN / "shoal"), "task", "logs", tid, "--follow"], stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        seen: list[tuple[float, int]] = []
        deadline = time.monotonic() + 30
        while len(seen) < 15 and time.monotonic() < deadline:
            line = proc.stdout.readline().decode().strip()
            m = re.fullmatch(r"tick-(\d+)", line)
            assert m, line
            seen.append((time.monotonic(), int(m.group(1))))
        numbers = [n for _, n in seen]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        # Lines written after the follow began keep arriving, each soon after the one before.
        live = seen[-5:]
        assert all(b[0] - a[0] < 5 for a, b in itertools.pairwise(live))
    finally:
        proc.terminate()
        proc.wait(10)
    # ECS Exec needs the task (or its service) started with enableExecuteCommand.
    refused = c.shoal("task", "exec", tid, "--", "true", check=False)
    assert refused.returncode == 1
    assert "enableExecuteCommand" in refused.stderr and "FAILED_PRECONDITION" in refused.stderr
    c.shoal("task", "stop", tid)


def test_service_logs_interleave_every_task_with_its_prefix(cluster: LocalCluster) -> None:
    c = cluster
    register(c, "chatty", "echo hello-from-task; sleep 300")
    c.shoal(
        "service", "create", "--service-name", "chatty", "--task-definition", "chatty", "--desired-count", "2"
    )
    c.shoal("wait", "services-stable", "chatty", "--timeout", "120")
    tasks = c.json("task", "list", "--service-name", "chatty")["taskArns"]
    ids = sorted(a.rsplit("/", 1)[-1] for a in tasks)
    out = wait_for(
        lambda: len(lines := c.shoal("service", "logs", "chatty").stdout.splitlines()) >= 2 and lines,
        30,
        "both tasks' lines",
    )
    assert sorted(out) == sorted(f"{i}/app | hello-from-task" for i in ids)
    # Following the service picks up the tasks it starts later, as `aws logs tail --follow` does.
    env = dict(os.environ, SHOAL_ENDPOINT=c.endpoint, SHOAL_CA_FILE=str(c.ca_file), SHOAL_API_KEY=c.admin_key)
    proc = subprocess.Popen(
        [str(BIN / "shoal"), "service", "logs", "chatty", "--follow"], stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        first = sorted(proc.stdout.readline().decode().strip() for _ in ids)
        assert first == sorted(f"{i}/app | hello-from-task" for i in ids)
        c.shoal("service", "update", "chatty", "--desired-count", "3")
        line = proc.stdout.readline().decode().strip()  # blocks until the new task has logged
        new_id = line.split("/", 1)[0]
        assert line == f"{new_id}/app | hello-from-task" and new_id not in ids, line
    finally:
        proc.terminate()
        proc.wait(10)
    c.shoal("wait", "services-stable", "chatty", "--timeout", "120")
    # Exec follows the service's flag too, for the tasks it already runs.
    refused = c.shoal("task", "exec", ids[0], "--", "true", check=False)
    assert refused.returncode == 1 and "enableExecuteCommand" in refused.stderr
    c.shoal("service", "update", "chatty", "--enable-execute-command")
    assert c.shoal("task", "exec", ids[0], "--", "echo", "in-service").stdout == "in-service\n"
    c.shoal("service", "delete", "chatty", "--force")


def test_exec_returns_output_and_exit_code_and_needs_the_flag(cluster: LocalCluster) -> None:
    c = cluster
    register(c, "shell", "sleep 300")
    tid = run(c, "shell", "--enable-execute-command").rsplit("/", 1)[-1]
    assert c.describe_task(tid)["enableExecuteCommand"] is True
    r = c.shoal("task", "exec", tid, "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 7", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (7, "to-out\n", "to-err\n")
    piped = c.shoal("task", "exec", tid, "--interactive", "--", "cat", input="through stdin\n")
    assert piped.stdout == "through stdin\n"
    missing = c.shoal("task", "exec", tid, "--", "/no/such/program", check=False)
    assert missing.returncode != 0
    # Every exec is an event naming who ran what.
    found = wait_for(
        lambda: [
            e
            for e in c.json("events", "--type", "exec")["events"]
            if e["detail"]["taskArn"].endswith(tid) and e["detail"]["command"][0] == "sh"
        ],
        30,
        "the exec event",
    )
    assert found[0]["detail-type"] == "ECS Exec"
    assert found[0]["detail"]["principal"]["keyName"] == "bootstrap-admin"
    assert found[0]["detail"]["containerName"] == "app"

    # --interactive on a terminal: a TTY, keys as typed, window resizes followed, the exit code back.
    env = dict(os.environ, SHOAL_ENDPOINT=c.endpoint, SHOAL_CA_FILE=str(c.ca_file), SHOAL_API_KEY=c.admin_key)
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.execve(str(BIN / "shoal"), ["shoal", "task", "exec", tid, "--interactive", "--", "sh"], env)
    seen = b""

    def read_until(pattern: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while not re.search(pattern, seen):
            assert time.monotonic() < deadline, f"never saw {pattern!r} in {seen[-400:]!r}"
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break

    try:
        read_until(rb"/ # ", 60)  # the shell's prompt: typing before it may be eaten by line editing
        os.write(fd, b"stty size\r")
        read_until(rb"24 80")
        read_until(rb"24 80\r\n/ # ")  # the next prompt: ash's line editing eats what comes before
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        time.sleep(0.5)
        # The shell redraws its line on the resize and asks where the cursor is; a line typed while it
        # waits for an answer that never comes (no terminal here) can be lost: type it again then.
        for attempt in range(3):
            os.write(fd, b"stty size\r")
            try:
                read_until(rb"40 120", 10)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        os.write(fd, b"exit 3\r")
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 3
    finally:
        os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    c.shoal("task", "stop", tid)


def test_a_flooding_container_does_not_hold_up_heartbeats_or_reports(cluster: LocalCluster) -> None:
    from shoal.v1 import streams_pb2, streams_pb2_grpc

    c = cluster
    register(c, "flood", "while true; do echo flood-flood-flood-flood-flood-flood-flood-flood; done")
    tid = run(c, "flood").rsplit("/", 1)[-1]
    creds = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(root_certificates=c.ca_file.read_bytes()),
        grpc.access_token_call_credentials(c.admin_key),
    )
    with grpc.secure_channel(c.endpoint, creds) as ch:
        call = streams_pb2_grpc.TasksStub(ch).GetTaskLogs(
            streams_pb2.GetTaskLogsRequest(task=tid, follow=True)
        )
        first = next(call)
        assert first.events and first.events[0].message.startswith(b"flood")
        # Now the caller stops reading: the stream's window fills and the agent stops sending it.
        stalled_at = time.time()
        [inst] = c.json("instance", "describe", *c.json("instance", "list")["containerInstanceArns"])[
            "containerInstances"
        ]
        register(c, "other", "sleep 300")
        other = run(c, "other")  # task reports still travel on the same session

        def beat() -> float:
            [i] = c.json("instance", "describe", inst["containerInstanceArn"])["containerInstances"]
            return datetime.fromisoformat(i["hostUsage"]["reportedAt"]).timestamp() if "hostUsage" in i else 0

        wait_for(lambda: beat() > stalled_at + 1, 40, "a heartbeat after the log stream stalled")
        call.cancel()
    c.shoal("task", "stop", tid)
    c.shoal("task", "stop", other)


def test_a_disconnected_agent_is_named_at_once(cluster: LocalCluster) -> None:
    c = cluster
    register(c, "quiet", "echo still-here; sleep 300")
    tid = run(c, "quiet").rsplit("/", 1)[-1]
    iid = c.agent_instance_id("a")
    c.agents["a"].stop()
    arns = c.json("instance", "list")["containerInstanceArns"]
    wait_for(
        lambda: not c.json("instance", "describe", *arns)["containerInstances"][0].get("agentConnected"),
        30,
        "the manager to see the agent gone",
    )
    started = time.monotonic()
    r = c.shoal("task", "logs", tid, "--follow", check=False)
    assert time.monotonic() - started < 20
    assert r.returncode == 1
    assert f"instance {iid} is not connected" in r.stderr and "FAILED_PRECONDITION" in r.stderr
    c.add_agent("a", "az-1", "--log-max-size", "1m", "--log-max-files", "2")
    c.wait_connected(1)
    assert wait_for(lambda: logs(c, tid) == ["still-here"], 30, "the logs once the agent is back")
