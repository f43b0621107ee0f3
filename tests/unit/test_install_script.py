"""deploy/install-agent.sh piece by piece (sourced with SHOAL_INSTALL_LIB=1, no root, no network)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shoal.core.identity import ca_digest
from shoal.manager.api.fleet import default_installer_url, install_command_for
from shoal.manager.pki import CertificateAuthority

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install-agent.sh"


def bash(snippet: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`snippet` after sourcing the script's functions (errexit off, so a snippet can look at failures)."""
    prelude = f"SHOAL_INSTALL_LIB=1 source {SCRIPT}; set +e; trap - ERR; "
    return subprocess.run(
        ["bash", "-c", prelude + snippet],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_unit_shipped_in_deploy_is_the_one_the_script_writes() -> None:
    r = bash("VENV=/opt/shoal/venv; render_unit")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (ROOT / "deploy/systemd/shoal-agent.service").read_text()


def test_without_docker_it_installs_docker_io_and_says_when_systemd_is_absent(tmp_path: Path) -> None:
    # apt-get and the systemd probe are stand-ins; the branch taken is the script's own.
    r = bash(
        "LOG=/dev/null; DOCKER_SOCKET=/nonexistent/docker.sock; "
        'apt-get() { echo "apt-get $*"; }; has_systemd() { false; }; ensure_docker'
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "==> installing Docker Engine (docker.io)",
        "    systemd is not running here: start dockerd yourself before the agent",
    ]
    calls = tmp_path / "calls"
    with_systemd = bash(
        "LOG=/dev/null; DOCKER_SOCKET=/nonexistent/docker.sock; apt-get() { :; }; has_systemd() { true; }; "
        f'systemctl() {{ echo "systemctl $*" >>{calls}; }}; sleep() {{ :; }}; ensure_docker'
    )
    assert calls.read_text() == "systemctl enable --now docker.service\n"
    assert "Docker Engine does not answer" in with_systemd.stderr and with_systemd.returncode == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ("--token x", "--manager is required"),
        ("--uninstall=yes", "unknown option --uninstall=yes"),
        ("--remove-containers", "--remove-containers goes with --uninstall"),
        ("--manager m:7700 --attribute novalue", "--attribute 'novalue': expected NAME=VALUE"),
        ("--manager m:7700 --attribute 'a=b c'", "must be one word"),
        ("--manager 'm:7700;reboot' --availability-zone '$(id)'", "must be one word"),
        ("--manager m", "--manager 'm': expected HOST:PORT"),
        ("--manager", "--manager needs a value"),
    ],
)
def test_bad_flags_fail_with_one_line(args: str, error: str) -> None:
    r = bash(f"parse_args {args}")
    assert r.returncode == 1 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith("install-agent.sh: error: ") and error in line


def test_flags_become_settings_and_installer_url() -> None:
    r = bash(
        "parse_args --manager 10.0.0.10:7700,10.0.0.11:7700 --attribute stack=prod --attribute tier=web "
        "--agent-arg --memory-mib=2048 --availability-zone eu-1a; "
        'echo "$INSTALLER|$AZ|$AGENT_OPTS|$VENV|$DATA_DIR|$HOST_IP"'
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        "https://10.0.0.10:7702|eu-1a|--attribute stack=prod --attribute tier=web --memory-mib=2048"
        "|/opt/shoal/venv|/var/lib/shoal-agent|0.0.0.0"
    )
    # The script's default and the manager's agree on where the installer is.
    assert default_installer_url("10.0.0.10:7700") == "https://10.0.0.10:7702"


def test_ca_digest_is_the_tokens(tmp_path: Path) -> None:
    ca = CertificateAuthority.create()
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    r = bash(f"ca_digest {tmp_path / 'ca.pem'}")
    assert r.stdout.strip() == ca_digest(ca.cert_pem)


def test_printed_command_is_one_pinned_line() -> None:
    warmed = []
    command = install_command_for(
        ["10.0.0.10:7700"], "https://10.0.0.10:7702", "sha256//AAAA+/=", lambda: warmed.append(1)
    )
    line = command("SHOAL-1-abc", "prod")
    assert line == (
        "curl -fsSLk --pinnedpubkey sha256//AAAA+/= https://10.0.0.10:7702/install-agent.sh"
        " | sudo bash -s -- --manager 10.0.0.10:7700 --cluster prod --token SHOAL-1-abc"
    )
    assert warmed == [1]  # a VM is coming: the manager starts building its wheels
    moved = install_command_for(["m:7700"], "https://m:9000", "sha256//X")("T", "default")
    assert "https://m:9000/install-agent.sh" in moved and "--installer https://m:9000" in moved
    assert install_command_for(["m:7700"])("T", "c").startswith(
        "sudo ./deploy/install-agent.sh --manager m:7700"
    )


def test_rerun_keeps_the_identity_and_refuses_another_cluster(tmp_path: Path) -> None:
    from tests.unit.test_identity import csr

    ca = CertificateAuthority.create()
    (tmp_path / "agent.pem").write_bytes(ca.issue_instance(csr(), "prod", "i-0123456789abcdef"))
    venv = Path(sys.executable).parent.parent  # this test's venv has shoal, as the VM's would
    same = bash(f"LOG=/dev/null; MANAGER=m:7700; DATA_DIR={tmp_path}; VENV={venv}; CLUSTER=prod; join")
    assert same.returncode == 0 and "already joined as i-0123456789abcdef" in same.stdout
    other = bash(f"LOG=/dev/null; MANAGER=m:7700; DATA_DIR={tmp_path}; VENV={venv}; CLUSTER=staging; join")
    assert other.returncode == 1
    assert "already instance i-0123456789abcdef of cluster prod: --uninstall first" in other.stderr


def test_with_systemd_the_service_is_enabled_and_restarted(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    stub = f'LOG=/dev/null; has_systemd() {{ true; }}; systemctl() {{ echo "$*" >>{calls}; }}; '
    r = bash(stub + "NO_START=0; start_agent")
    assert r.returncode == 0 and "==> starting shoal-agent" in r.stdout
    assert calls.read_text().splitlines() == [
        "daemon-reload",
        "enable shoal-agent.service",
        "restart shoal-agent.service",
    ]
    calls.unlink()
    r = bash(stub + "NO_START=1; start_agent")
    assert "not starting shoal-agent (--no-start)" in r.stdout
    assert "restart" not in calls.read_text()
