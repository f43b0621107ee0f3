"""gRPC servicer for joining VMs: join tokens for admins (Fleet) and the agents' Join call."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from shoal.core.errors import FailedPrecondition
from shoal.manager.actions.fleet import JoinTokens
from shoal.manager.api.errors import handles_errors
from shoal.v1 import fleet_pb2, fleet_pb2_grpc


class FleetServicer(fleet_pb2_grpc.FleetServicer):
    def __init__(self, tokens: JoinTokens | None, install_command: Callable[[str, str], str]) -> None:
        self._tokens = tokens  # None: the manager runs with --insecure
        self.install_command = install_command  # (token, cluster) -> the one line a new VM runs

    @property
    def tokens(self) -> JoinTokens:
        if self._tokens is None:
            raise FailedPrecondition(
                "this manager runs with --insecure: no join tokens; agents register unauthenticated",
                reason="INSECURE",
            )
        return self._tokens

    @handles_errors
    async def CreateJoinToken(self, request, context):
        token, secret = await self.tokens.create(
            request.cluster, request.ttl_seconds, request.uses, request.description
        )
        return fleet_pb2.CreateJoinTokenResponse(
            token=token, secret=secret, install_command=self.install_command(secret, token.cluster)
        )

    @handles_errors
    async def ListJoinTokens(self, request, context):
        return fleet_pb2.ListJoinTokensResponse(tokens=await self.tokens.list(request.cluster))

    @handles_errors
    async def RevokeJoinToken(self, request, context):
        return fleet_pb2.RevokeJoinTokenResponse(token=await self.tokens.revoke(request.id))


def install_command_for(
    managers: list[str], installer: str = "", pin: str = "", prepare: Callable[[], None] | None = None
) -> Callable[[str, str], str]:
    """The command `shoal token create` prints for a new VM.

    With the manager's installer (`installer` its URL, `pin` curl's --pinnedpubkey of its key): one
    line that fetches install-agent.sh over TLS pinned to the manager's key, so a VM with no
    checkout trusts nothing on first use. Without it: the script from a checkout. `prepare` is
    called each time: a VM will soon ask for what the command installs.
    """

    def command(token: str, cluster: str) -> str:
        args = ["--manager", ",".join(managers), "--cluster", cluster, "--token", token]
        if installer and installer != default_installer_url(managers[0]):
            args += ["--installer", installer]
        quoted = " ".join(shlex.quote(a) for a in args)
        if not (installer and pin):
            return "sudo ./deploy/install-agent.sh " + quoted
        if prepare is not None:
            prepare()
        fetch = (
            f"curl -fsSLk --pinnedpubkey {shlex.quote(pin)} {shlex.quote(installer + '/install-agent.sh')}"
        )
        return f"{fetch} | sudo bash -s -- {quoted}"

    return command


def default_installer_url(manager: str) -> str:
    """Where install-agent.sh looks for the installer unless told: the manager's API port + 2."""
    host, _, port = manager.rpartition(":")
    return f"https://{host}:{int(port) + 2}"
