"""What this VM refuses to run, as the ECS agent's ECS_DISABLE_PRIVILEGED and volume controls do:
privileged containers, and host bind mounts outside the allowed paths (pure)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from shoal.v1 import ecs_pb2


def _under(path: str, root: str) -> bool:
    root = posixpath.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass(frozen=True)
class HostPolicy:
    disable_privileged: bool = False
    allowed_host_paths: tuple[str, ...] = ()  # empty: any host path may be mounted

    def violation(
        self,
        td: ecs_pb2.TaskDefinition,
        cdef: ecs_pb2.ContainerDefinition,
        resolve: Callable[[str], str] = posixpath.normpath,
    ) -> str:
        """Why this container may not start here (an ECS-style reason), or "" when it may.

        `resolve` turns a host path into the one it really names (the agent resolves symlinks, so
        that a link inside an allowed directory cannot reach outside it).
        """
        if self.disable_privileged and cdef.privileged:
            return (
                f"CannotStartContainerError: container {cdef.name} asks to be privileged, which this "
                "instance refuses (shoal-agent --disable-privileged)"
            )
        if self.allowed_host_paths:
            volumes = {v.name: v for v in td.volumes}
            for mp in cdef.mount_points:
                v = volumes.get(mp.source_volume)
                source = v.host.source_path if v is not None else ""
                if source and not any(_under(resolve(source), a) for a in self.allowed_host_paths):
                    return (
                        f"CannotStartContainerError: host path {source} (volume {mp.source_volume}) is "
                        f"outside this instance's allowed host paths {', '.join(self.allowed_host_paths)} "
                        "(shoal-agent --allowed-host-paths)"
                    )
        return ""
