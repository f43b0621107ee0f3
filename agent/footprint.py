"""The agent's memory footprint: it runs on every VM, so what its libraries load and never use, and what
the allocator keeps after a burst, are kept out of its resident memory (issue 11 asks at most 50 MB)."""

from __future__ import annotations

import ctypes
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Mapping, Sequence
from types import ModuleType

# requests loads a character-set detector (~3 MiB resident) to guess the encoding of text answers that
# name none. The Docker Engine answers in JSON, whose encoding requests tells without it.
NEVER_USED = ("charset_normalizer", "chardet")


# Python's ssl (OpenSSL, ~5 MiB resident once requests has loaded its CA bundle) is used by none of the
# agent's own work: its session's TLS is gRPC's own, and it reaches the engine on the engine's unix
# socket. (The CA check at join runs in the keytool child.)
NEVER_USED_WITH_A_LOCAL_ENGINE = ("ssl", "_ssl")


# Imported at the top of modules the agent loads, for what it never does (Docker's image builds import
# tarfile, protobuf's pickling support pickle): each is made on first use instead (~1 MiB together).
LOADED_ON_FIRST_USE = ("tarfile", "pickle")


class _OnFirstUse(importlib.abc.MetaPathFinder):
    """Finds `names` as usual, and has them executed on their first attribute access (LazyLoader)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def engine_is_local(environ: Mapping[str, str]) -> bool:
    """The Docker Engine is reached on its unix socket, as the Docker client's environment says."""
    host = environ.get("DOCKER_HOST", "")
    return (not host or host.startswith("unix://")) and not environ.get("DOCKER_TLS_VERIFY")


def keep_out_unused_modules(environ: Mapping[str, str]) -> None:
    """Before the agent's imports: make the modules it never uses unimportable, so that its libraries'
    optional imports of them fail and are skipped (requests handles a missing detector, asyncio and
    urllib3 a missing ssl)."""
    unused = NEVER_USED + (NEVER_USED_WITH_A_LOCAL_ENGINE if engine_is_local(environ) else ())
    if importlib.util.find_spec("_sha256") is not None:
        # hashlib's OpenSSL backend (another ~3 MiB): the agent hashes a digest or two, which hashlib's
        # built-in SHA-256 does as well (where the interpreter was built with it).
        unused += ("_hashlib",)
    for name in unused:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
    sys.meta_path.insert(0, _OnFirstUse([n for n in LOADED_ON_FIRST_USE if n not in sys.modules]))
    warnings.filterwarnings("ignore", message="Unable to find acceptable character detection dependency")


_malloc_trim = None


def release_free_memory() -> None:
    """Give the C allocator's free pages back to the system (glibc keeps them after a burst of engine
    calls or a reconnect); a no-op where the C library has no malloc_trim."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)
