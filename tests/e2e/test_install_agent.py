"""install-agent.sh on a Debian root filesystem that is not this machine's (debootstrap, entered with
chroot): the one line `shoal token create` prints takes it from no Shoal to a RUNNING task."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE, LocalCluster, Proc, free_port, require_binary, wait_for

RELEASE = "bookworm"
CACHE = Path(os.environ.get("SHOAL_TEST_CACHE", "/var/cache/shoal-test"))
# What a fresh cloud image has; everything else (Python, the agent) the installer must bring.
IMAGE_PACKAGES = "curl,sudo"
# Only what the installer itself would pass on; the host's pip settings must not leak in.
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def apt_mirror() -> str:
    """The Debian mirror this machine's apt uses (deb822 .sources or a sources.list line)."""
    for f in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for uri in re.findall(r"^URIs:\s*(\S+)", f.read_text(), re.M):
            if "security" not in uri:
                return uri
    src = Path("/etc/apt/sources.list")
    if src.exists():
        for m in re.finditer(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+\S+", src.read_text(), re.M):
            if "security" not in m.group(1):
                return m.group(1)
    return "http://deb.debian.org/debian"


def chroot(root: Path, *argv: str) -> list[str]:
    """argv run inside `root` as a VM would see it: its own /proc, this machine's /dev and Docker Engine.

    A private mount namespace keeps the mounts from outliving the command (or the agent it starts).
    """
    mounts = (
        'mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" && mount --rbind /sys "$R/sys" '
        '&& touch "$R/run/docker.sock" && mount --bind /var/run/docker.sock "$R/run/docker.sock" '
        '&& exec chroot "$R" "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", mounts, "sh", *argv]


def run_in(root: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        chroot(root, *argv),
        env=dict(CLEAN_ENV, R=str(root)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def base_tree() -> Path:
    """A minbase Debian tree, made once and cached (CI starts without it: about 40 s)."""
    require_binary("debootstrap")
    require_binary("unshare")
    if os.geteuid() != 0:
        pytest.fail(
            "debootstrap and chroot need root (run the suite as root, as .ci/run does)", pytrace=False
        )
    tree = CACHE / f"debootstrap-{RELEASE}-minbase"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session may be making it
        if not (tree / ".complete").exists():
            tmp = CACHE / f".{tree.name}.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            bootstrap = ["debootstrap", "--variant=minbase", f"--include={IMAGE_PACKAGES}", RELEASE]
            subprocess.run(
                [*bootstrap, str(tmp), apt_mirror()],
                check=True,
                capture_output=True,
                timeout=900,
            )
            # Fetch (not install) the packages the installer will add, so reruns spare the mirror.
            r = run_in(tmp, "apt-get", "install", "-y", "-qq", "--download-only", "python3-venv")
            assert r.returncode == 0, r.stderr
            shutil.rmtree(tree, ignore_errors=True)
            tmp.rename(tree)
            (tree / ".complete").touch()
    return tree


@pytest.fixture
def vm(base_tree: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the tree (an overlay: the cache stays clean, `upper/` holds what changed)."""
    root, upper, work = tmp_path / "root", tmp_path / "upper", tmp_path / "work"
    for d in (root, upper, work):
        d.mkdir()
    layers = f"lowerdir={base_tree},upperdir={upper},workdir={work}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", layers, str(root)], check=True)
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def manager(tmp_path: Path, docker_client, busybox_image) -> Iterator[LocalCluster]:
    # The chroot shares this machine's network: the VM reaches the manager on 127.0.0.1.
    installer = f"127.0.0.1:{free_port()}"
    c = LocalCluster(
        tmp_path / "m", docker_client, "--advertise-address", "127.0.0.1", "--installer-listen", installer
    )
    c.root.mkdir()
    c.start_manager()
    yield c
    c.close()


def unit_command(root: Path) -> tuple[list[str], dict[str, str]]:
    """The agent's command and environment as systemd would make them from the unit written."""
    unit = (root / "etc/systemd/system/shoal-agent.service").read_text().replace("\\\n", " ")
    [env_file] = re.findall(r"^EnvironmentFile=(\S+)$", unit, re.M)
    env = dict(CLEAN_ENV)
    for line in (root / env_file.lstrip("/")).read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.strip('"')
    [exec_start] = re.findall(r"^ExecStart=(.+)$", unit, re.M)
    argv: list[str] = []
    for word in shlex.split(exec_start):
        if m := re.fullmatch(r"\$\{(\w+)\}", word):
            argv.append(env.get(m.group(1), ""))  # ${X}: exactly one argument
        elif m := re.fullmatch(r"\$(\w+)", word):
            argv.extend(env.get(m.group(1), "").split())  # $X: split on whitespace
        else:
            argv.append(word)
    return argv, env


def start_agent_as_unit(root: Path, log: Path) -> Proc:
    argv, env = unit_command(root)
    return Proc(chroot(root, *argv), log, env=dict(env, R=str(root))).start()


def instance_of(root: Path) -> str:
    from shoal.core.identity import instance_identity

    ident = instance_identity((root / "var/lib/shoal-agent/agent.pem").read_bytes())
    assert ident is not None
    return ident.instance_id


def connected(c: LocalCluster, instance_id: str) -> bool:
    r = c.shoal("instance", "list", "--output", "json", check=False)
    if r.returncode != 0 or instance_id not in r.stdout:
        return False
    [desc] = c.json("instance", "describe", instance_id)["containerInstances"]
    return bool(desc.get("agentConnected"))


def containers_of(c: LocalCluster, instance_id: str) -> list:
    return c.docker.containers.list(
        all=True, filters={"label": f"com.shoal.container-instance={instance_id}"}
    )


def run_task_on(c: LocalCluster, instance_id: str) -> dict:
    [task] = c.json("task", "start", "--task-definition", "installed", "--instances", instance_id)["tasks"]
    c.shoal("task", "wait", "running", task["taskArn"], "--timeout", "60")
    return task


def files_holding(top: Path, secret: bytes) -> list[str]:
    found = []
    for path in top.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if secret in path.read_bytes():
                    found.append(str(path.relative_to(top)))
            except OSError:
                pass
    return found


def test_printed_command_installs_agent_and_task_runs(
    manager: LocalCluster, vm: Path, tmp_path: Path
) -> None:
    c, root = manager, vm
    assert not (root / "opt/shoal").exists() and not (root / "etc/shoal").exists()
    out = c.shoal("token", "create", "--uses", "2", "--description", "install test").stdout
    [command] = [line.strip() for line in out.splitlines() if line.strip().startswith("curl ")]
    token = re.search(r"SHOAL-1-[0-9a-f]{64}-[a-z0-9]{32}", command).group(0)
    fetch = command.split(" | ")[0]  # curl pinned to the manager's key
    td = tmp_path / "td.json"
    td.write_text(
        json.dumps(
            {
                "family": "installed",
                "containerDefinitions": [
                    {"name": "c", "image": TEST_IMAGE, "memory": 32, "command": ["sleep", "600"]}
                ],
            }
        )
    )
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{td}")
    instances: list[str] = []
    try:
        # The line exactly as printed, in a root shell of the VM.
        t0 = time.monotonic()
        r = run_in(root, "bash", "-c", command)
        installed = time.monotonic() - t0
        assert r.returncode == 0, r.stdout + r.stderr
        assert "==> Docker Engine is running" in r.stdout and "installing Docker Engine" not in r.stdout
        assert "systemd is not running on this machine" in r.stdout, r.stdout
        unit = (root / "etc/systemd/system/shoal-agent.service").read_text()
        assert "EnvironmentFile=/etc/shoal/agent.env" in unit and "KillMode=process" in unit
        assert "ExecStart=/opt/shoal/venv/bin/shoal-agent " in unit
        # The token was used once; no file the install wrote or changed holds it.
        assert files_holding(vm.parent / "upper", token.encode()) == []
        instances.append(instance_of(root))

        agent = start_agent_as_unit(root, tmp_path / "agent1.log")
        wait_for(lambda: connected(c, instances[0]), 30, "the new instance in `shoal instance list`")
        listed = time.monotonic() - t0
        task = run_task_on(c, instances[0])
        running = time.monotonic() - t0
        print(f"\ninstall {installed:.1f}s, instance listed {listed:.1f}s, task RUNNING {running:.1f}s")

        # Again, with a setting changed: harmless (same identity, the task keeps running).
        r = run_in(root, "bash", "-c", command + " --attribute stack=install-test")
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"already joined as {instances[0]}" in r.stdout
        assert "--attribute stack=install-test" in (root / "etc/shoal/agent.env").read_text()
        assert c.describe_task(task["taskArn"])["lastStatus"] == "RUNNING"

        # Uninstall: everything of the agent goes; its task containers stay unless asked.
        agent.stop()  # what `systemctl stop` does with KillMode=process
        uninstall = fetch + " | sudo bash -s -- --uninstall"
        r = run_in(root, "bash", "-c", uninstall)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 task container(s) of " + instances[0] + " keep running" in r.stdout
        for gone in (
            "etc/systemd/system/shoal-agent.service",
            "etc/shoal",
            "opt/shoal",
            "var/lib/shoal-agent",
        ):
            assert not (root / gone).exists(), gone
        assert [k.status for k in containers_of(c, instances[0])] == ["running"]

        # A second install from nothing left behind, then --remove-containers.
        r = run_in(root, "bash", "-c", command)
        assert r.returncode == 0, r.stdout + r.stderr
        instances.append(instance_of(root))
        assert instances[1] != instances[0]
        agent = start_agent_as_unit(root, tmp_path / "agent2.log")
        wait_for(lambda: connected(c, instances[1]), 30, "the reinstalled instance")
        run_task_on(c, instances[1])
        agent.stop()
        r = run_in(root, "bash", "-c", uninstall + " --remove-containers")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "removing the task containers of " + instances[1] in r.stdout
        assert containers_of(c, instances[1]) == []
    finally:
        for i in instances:
            for k in containers_of(c, i):
                k.remove(force=True)
