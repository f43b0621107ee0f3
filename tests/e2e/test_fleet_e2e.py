"""Joining a fleet: join tokens, mutual TLS and instance identity, with every agent in its own
network namespace (its own address, reaching the manager over a bridge) as a separate VM would."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509

from shoal.v1 import agent_pb2, agent_pb2_grpc, api_pb2, api_pb2_grpc, ecs_pb2
from tests.conftest import BIN, TEST_IMAGE, LocalCluster, require_binary, wait_for


@dataclass
class Net:
    """A bridge on this machine with VMs (network namespaces) attached to it."""

    index: int
    bridge: str
    host_ip: str
    vms: list[str]

    def vm(self) -> tuple[str, str]:
        """A new namespace on the bridge: (its name, its address)."""
        n = len(self.vms) + 1
        ns = f"shoal-t{self.index}-vm{n}"
        host_end, vm_end = f"sh{self.index}v{n}h", f"sh{self.index}v{n}n"
        addr = f"10.231.{self.index}.{10 + n}"
        _ip("netns", "add", ns)
        self.vms.append(ns)
        _ip("link", "add", host_end, "type", "veth", "peer", "name", vm_end)
        _ip("link", "set", vm_end, "netns", ns)
        _ip("link", "set", host_end, "master", self.bridge, "up")
        _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", vm_end)
        _ip("-n", ns, "link", "set", vm_end, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        return ns, addr

    def wrap(self, ns: str) -> tuple[str, ...]:
        return ("ip", "netns", "exec", ns)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def net() -> Iterator[Net]:
    require_binary("ip")
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root (run the suite as root, as .ci/run does)", pytrace=False)
    for _ in range(50):  # another run on this machine may hold an index: take a free one
        index = 1 + secrets.randbelow(200)
        bridge = f"shoal-br{index}"
        if (
            subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], capture_output=True).returncode
            == 0
        ):
            break
    else:
        pytest.fail("no free bridge name for the test VMs", pytrace=False)
    _ip("addr", "add", f"10.231.{index}.1/24", "dev", bridge)
    _ip("link", "set", bridge, "up")
    n = Net(index, bridge, f"10.231.{index}.1", [])
    yield n
    for ns in n.vms:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


@pytest.fixture
def fleet(tmp_path: Path, docker_client, busybox_image, net: Net) -> Iterator[LocalCluster]:
    c = LocalCluster(
        tmp_path,
        docker_client,
        "--advertise-address",
        net.host_ip,
        "--agent-certificate-lifetime-seconds",
        "30",
        host=net.host_ip,
    )
    c.start_manager()
    yield c
    c.close()


def join_only(c: LocalCluster, net: Net, ns: str, data_dir: Path, token: str) -> subprocess.CompletedProcess:
    """`shoal-agent --join-only` inside a VM, as the install script runs it."""
    return subprocess.run(
        [
            *net.wrap(ns),
            str(BIN / "shoal-agent"),
            "--manager",
            c.endpoint,
            "--data-dir",
            str(data_dir),
            "--join-only",
            "--token",
            token,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def instance_ids(c: LocalCluster) -> list[str]:
    return [a.rsplit("/", 1)[-1] for a in c.json("instance", "list")["containerInstanceArns"]]


def cert_of(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_vm_joins_with_a_token_and_runs_a_task(fleet: LocalCluster, net: Net, tmp_path: Path) -> None:
    c = fleet
    token = c.shoal("token", "create", "-q", "--uses", "2", "--description", "two vms").stdout.strip()
    assert token.startswith("SHOAL-1-")
    started = time.monotonic()
    for name in ("vm1", "vm2"):
        ns, _addr = net.vm()
        c.add_agent(name, "az-1", wrap=net.wrap(ns), env={"SHOAL_JOIN_TOKEN": token})
    live = c.wait_connected(2)
    print(f"two VMs joined and connected in {time.monotonic() - started:.1f}s")
    key = tmp_path / "vm1" / "agent.key"
    assert key.stat().st_mode & 0o777 == 0o600, "the private key must be readable by root only"
    ident = cert_of(tmp_path / "vm1" / "agent.pem").subject
    assert ident.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value in {
        i["ec2InstanceId"] for i in live
    }
    assert ident.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == "default"
    # The token was spent twice: its limit.
    [listed] = [t for t in c.json("token", "list")["tokens"] if t.get("description") == "two vms"]
    assert (listed["uses"], listed["status"]) == (2, "USED_UP")
    assert "secret" not in json.dumps(listed).lower() and token not in json.dumps(listed)
    td = tmp_path / "td.json"
    td.write_text(
        json.dumps(
            {
                "family": "joined",
                "containerDefinitions": [
                    {"name": "c", "image": TEST_IMAGE, "memory": 32, "command": ["sleep", "300"]}
                ],
            }
        )
    )
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{td}")
    [task] = c.json("task", "run", "--task-definition", "joined")["tasks"]
    c.shoal("task", "wait", "running", task["taskArn"], "--timeout", "60")
    c.shoal("task", "stop", task["taskArn"])


@pytest.mark.parametrize("case", ["expired", "revoked", "used-up", "malformed", "unknown"])
def test_bad_tokens_are_refused_with_a_reason_and_register_nothing(
    fleet: LocalCluster, net: Net, tmp_path: Path, case: str
) -> None:
    c = fleet
    if case == "expired":
        token = c.shoal("token", "create", "-q", "--ttl", "1s").stdout.strip()
        time.sleep(1.5)
        expect = "expired at"
    elif case == "revoked":
        token = c.shoal("token", "create", "-q").stdout.strip()
        [t] = c.json("token", "list")["tokens"]
        c.shoal("token", "revoke", t["id"])
        expect = "was revoked"
    elif case == "used-up":
        token = c.shoal("token", "create", "-q", "--uses", "1").stdout.strip()
        ns0, _ = net.vm()
        assert join_only(c, net, ns0, tmp_path / "first", token).returncode == 0
        expect = "has been used 1 time(s), its limit"
    elif case == "malformed":
        token = "SHOAL-1-nothex-short"
        expect = "is not a Shoal join token"
    else:
        real = c.shoal("token", "create", "-q").stdout.strip()
        token = real.rsplit("-", 1)[0] + "-" + "x" * 32  # the right CA, a secret nobody issued
        expect = "not known to this cluster"
    before = c.json("token", "list")["tokens"]
    registered_before = instance_ids(c)
    ns, _ = net.vm()
    r = join_only(c, net, ns, tmp_path / "vm", token)
    assert r.returncode != 0
    assert expect in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "vm" / "agent.pem").exists()
    assert instance_ids(c) == registered_before
    assert c.json("token", "list")["tokens"] == before, "a refused join must not spend a use"


def test_token_of_another_cluster_ca_is_refused_before_anything_is_sent(
    fleet: LocalCluster, net: Net, tmp_path: Path, docker_client
) -> None:
    (tmp_path / "other").mkdir()
    other = LocalCluster(tmp_path / "other", docker_client)
    other.start_manager()
    try:
        foreign = other.shoal("token", "create", "-q").stdout.strip()
    finally:
        other.close()
    ns, _ = net.vm()
    r = join_only(fleet, net, ns, tmp_path / "vm", foreign)
    assert r.returncode != 0
    assert "does not present the cluster CA named in the token" in r.stderr, r.stderr
    assert not (tmp_path / "vm" / "agent.pem").exists()
    assert instance_ids(fleet) == []


# -- the agent protocol, spoken by a rogue client with a real instance certificate -----------------
def _creds(data_dir: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(data_dir / "ca.pem").read_bytes(),
        private_key=(data_dir / "agent.key").read_bytes(),
        certificate_chain=(data_dir / "agent.pem").read_bytes(),
    )


def _agent_port(c: LocalCluster) -> int:
    return int(c.manager.args[c.manager.args.index("--agent-listen") + 1].rsplit(":", 1)[1])


def session(c: LocalCluster, creds: grpc.ChannelCredentials, reg: agent_pb2.RegisterInstance, read: int = 2):
    """Open a session, send `reg`, return the first `read` manager messages (or the error code)."""

    async def run():
        target = f"{c.endpoint.rsplit(':', 1)[0]}:{_agent_port(c)}"
        async with grpc.aio.secure_channel(target, creds) as ch:
            call = agent_pb2_grpc.AgentSessionStub(ch).Session()
            out = []
            try:
                await call.write(agent_pb2.AgentMessage(register=reg))
                for _ in range(read):
                    msg = await asyncio.wait_for(call.read(), 10)
                    if msg is grpc.aio.EOF:
                        break
                    out.append(msg)
            except grpc.aio.AioRpcError as exc:
                return exc.code()
            finally:
                call.cancel()
            return out

    return asyncio.run(run())


def _reg(cluster: str = "default", instance_id: str = "") -> agent_pb2.RegisterInstance:
    return agent_pb2.RegisterInstance(
        cluster=cluster,
        instance_id=instance_id,
        registered_resources=[
            ecs_pb2.Resource(name="CPU", type="INTEGER", integer_value=1024),
            ecs_pb2.Resource(name="MEMORY", type="INTEGER", integer_value=1024),
        ],
    )


def test_an_agent_can_be_only_itself(fleet: LocalCluster, net: Net, tmp_path: Path) -> None:
    c = fleet
    token = c.shoal("token", "create", "-q").stdout.strip()
    for name in ("a", "b"):
        ns, _ = net.vm()
        c.add_agent(name, "az-1", wrap=net.wrap(ns), env={"SHOAL_JOIN_TOKEN": token})
    c.wait_connected(2)
    a_id, b_id = c.agent_instance_id("a"), c.agent_instance_id("b")
    td = tmp_path / "td.json"
    td.write_text(
        json.dumps(
            {
                "family": "secret-env",
                "containerDefinitions": [
                    {
                        "name": "c",
                        "image": TEST_IMAGE,
                        "memory": 32,
                        "command": ["sleep", "300"],
                        "environment": [{"name": "PASSWORD", "value": "b-only"}],
                    }
                ],
            }
        )
    )
    c.shoal("task-definition", "register", "--cli-input-json", f"file://{td}")
    [task_b] = c.json("task", "start", "--task-definition", "secret-env", "--instances", b_id)["tasks"]
    c.shoal("task", "wait", "running", task_b["taskArn"], "--timeout", "60")
    c.agents["a"].stop()  # its certificate is now the rogue's
    creds_a = _creds(tmp_path / "a")

    # Claiming B's id with A's certificate: refused, naming the certificate's owner.
    [msg] = session(c, creds_a, _reg(instance_id=b_id), read=1)
    assert msg.WhichOneof("body") == "rejected"
    assert f"this certificate belongs to {a_id}" in msg.rejected.reason
    # Another cluster: refused too.
    [msg] = session(c, creds_a, _reg(cluster="other"), read=1)
    assert msg.WhichOneof("body") == "rejected" and "for cluster 'default'" in msg.rejected.reason

    # As itself, A gets its own (empty) desired set, never B's task with its environment.
    msgs = session(c, creds_a, _reg(), read=2)
    assert msgs[0].registered.instance_id == a_id
    assert msgs[1].desired.full and not msgs[1].desired.tasks

    # A report about B's task through A's session changes nothing.
    async def report_b() -> None:
        target = f"{c.endpoint.rsplit(':', 1)[0]}:{_agent_port(c)}"
        async with grpc.aio.secure_channel(target, creds_a) as ch:
            call = agent_pb2_grpc.AgentSessionStub(ch).Session()
            await call.write(agent_pb2.AgentMessage(register=_reg()))
            await call.read()
            await call.write(
                agent_pb2.AgentMessage(
                    task_state=agent_pb2.TaskStateChange(
                        task_arn=task_b["taskArn"],
                        task_version=99,
                        last_status="STOPPED",
                        stop_code="EssentialContainerExited",
                        stopped_reason="forged",
                    )
                )
            )
            await asyncio.sleep(1.5)
            call.cancel()

    asyncio.run(report_b())
    after = c.describe_task(task_b["taskArn"])
    assert after["lastStatus"] == "RUNNING" and "stoppedReason" not in after

    # A certificate of another CA, or none, does not even complete the TLS handshake.
    other = tmp_path / "other-ca"
    other.mkdir()
    subprocess.run(
        [sys_python(), "-c", _FOREIGN_CERT, str(other)], check=True, capture_output=True, text=True
    )
    foreign = grpc.ssl_channel_credentials(
        root_certificates=(tmp_path / "a" / "ca.pem").read_bytes(),
        private_key=(other / "key.pem").read_bytes(),
        certificate_chain=(other / "cert.pem").read_bytes(),
    )
    assert session(c, foreign, _reg(), read=1) == grpc.StatusCode.UNAVAILABLE
    anonymous = grpc.ssl_channel_credentials(root_certificates=(tmp_path / "a" / "ca.pem").read_bytes())
    assert session(c, anonymous, _reg(), read=1) == grpc.StatusCode.UNAVAILABLE
    # And the API port does not offer sessions at all.
    api = grpc.secure_channel(c.endpoint, anonymous)
    with pytest.raises(grpc.RpcError) as info:
        list(agent_pb2_grpc.AgentSessionStub(api).Session(iter([agent_pb2.AgentMessage(register=_reg())])))
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert c.describe_task(task_b["taskArn"])["lastStatus"] == "RUNNING"
    c.shoal("task", "stop", task_b["taskArn"])


def sys_python() -> str:
    return str(BIN / "python")


# A client certificate for i-0123456789abcdef signed by a CA of its own (not the cluster's).
_FOREIGN_CERT = """
import sys, pathlib
from shoal.manager.pki import CertificateAuthority, new_private_key, private_key_pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
out = pathlib.Path(sys.argv[1])
ca = CertificateAuthority.create("rogue CA")
key = new_private_key()
csr = x509.CertificateSigningRequestBuilder().subject_name(
    x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")])).sign(key, hashes.SHA256())
pem = csr.public_bytes(serialization.Encoding.PEM).decode()
(out / "cert.pem").write_bytes(ca.issue_instance(pem, "default", "i-0123456789abcdef"))
(out / "key.pem").write_bytes(private_key_pem(key))
"""


def test_certificate_is_renewed_before_it_expires(fleet: LocalCluster, net: Net, tmp_path: Path) -> None:
    c = fleet  # instance certificates live 30 s here; agents renew at two thirds
    token = c.shoal("token", "create", "-q").stdout.strip()
    ns, _ = net.vm()
    c.add_agent("vm", "az-1", wrap=net.wrap(ns), env={"SHOAL_JOIN_TOKEN": token})
    c.wait_connected(1)
    first = cert_of(tmp_path / "vm" / "agent.pem")
    renewed = wait_for(
        lambda: (cur := cert_of(tmp_path / "vm" / "agent.pem")).serial_number != first.serial_number and cur,
        60,
        "the agent to renew its certificate",
    )
    assert renewed.subject == first.subject
    assert renewed.not_valid_after_utc > first.not_valid_after_utc
    assert "renewed the certificate of" in c.manager.log()
    # Past the first certificate's expiry the agent still reconnects, with the renewed one.
    wait_for(
        lambda: time.time() > first.not_valid_after_utc.timestamp(), 40, "the first certificate to expire"
    )
    c.agents["vm"].stop()
    c.agents["vm"].start()
    assert c.wait_connected(1)[0]["ec2InstanceId"] == c.agent_instance_id("vm")


def test_deregistered_instance_certificate_is_refused(fleet: LocalCluster, net: Net, tmp_path: Path) -> None:
    c = fleet
    token = c.shoal("token", "create", "-q").stdout.strip()
    ns, _ = net.vm()
    c.add_agent("vm", "az-1", wrap=net.wrap(ns), env={"SHOAL_JOIN_TOKEN": token})
    [inst] = c.wait_connected(1)
    c.agents["vm"].stop()
    c.shoal("instance", "deregister", inst["ec2InstanceId"], "--force")
    c.agents["vm"].start()
    wait_for(lambda: "its certificate is revoked" in c.agents["vm"].log(), 30, "the refusal in the agent log")
    assert instance_ids(c) == []
    # A raw session with that certificate is refused the same way.
    [msg] = session(c, _creds(tmp_path / "vm"), _reg(), read=1)
    assert msg.WhichOneof("body") == "rejected" and "revoked" in msg.rejected.reason


def test_manager_restart_keeps_every_agents_identity(fleet: LocalCluster, net: Net, tmp_path: Path) -> None:
    c = fleet
    token = c.shoal("token", "create", "-q").stdout.strip()
    for name in ("vm1", "vm2"):
        ns, _ = net.vm()
        c.add_agent(name, "az-1", wrap=net.wrap(ns), env={"SHOAL_JOIN_TOKEN": token})
    before = sorted(i["ec2InstanceId"] for i in c.wait_connected(2))
    ca_before = c.ca_file.read_bytes()
    c.manager.kill9()
    c.manager.start()
    c.wait_connected(2)
    assert c.ca_file.read_bytes() == ca_before
    assert sorted(instance_ids(c)) == before
    wait_for(
        lambda: all(
            i.get("agentConnected") for i in c.json("instance", "describe", *before)["containerInstances"]
        ),
        60,
        "both agents back on their own identities",
    )
    assert len(instance_ids(c)) == 2


def test_api_is_tls_and_the_cli_names_the_fix_without_the_ca(fleet: LocalCluster) -> None:
    env = dict(os.environ, SHOAL_ENDPOINT=fleet.endpoint)
    env.pop("SHOAL_CA_FILE", None)
    r = subprocess.run([str(BIN / "shoal"), "cluster", "list"], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1].startswith("error: the manager at")
    assert "--ca-file" in r.stderr
    plain = grpc.insecure_channel(fleet.endpoint)
    with pytest.raises(grpc.RpcError):
        api_pb2_grpc.EcsStub(plain).ListClusters(api_pb2.ListClustersRequest(), timeout=5)
