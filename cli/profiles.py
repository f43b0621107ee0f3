"""CLI profiles, as aws-cli keeps them: endpoint, cluster, CA bundle and API key per named profile in
~/.config/shoal/config (mode 0600); flags and SHOAL_* variables override them."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("endpoint", "cluster", "ca_file", "api_key")


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shoal" / "config"


@dataclass
class Profile:
    name: str
    endpoint: str = ""
    cluster: str = ""
    ca_file: str = ""
    api_key: str = ""


def load(name: str) -> Profile:
    """The named profile (empty fields when the file or the profile does not exist)."""
    cp = configparser.ConfigParser(interpolation=None)
    path = config_path()
    if path.exists():
        cp.read(path)
    if not cp.has_section(name):
        return Profile(name)
    sec = cp[name]
    return Profile(name, **{f: sec.get(f, "") for f in FIELDS})


def exists(name: str) -> bool:
    cp = configparser.ConfigParser(interpolation=None)
    path = config_path()
    if path.exists():
        cp.read(path)
    return cp.has_section(name)


def save(p: Profile) -> Path:
    """Write one profile, keeping the others; the file holds keys, so it is readable by its owner only."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cp = configparser.ConfigParser(interpolation=None)
    if path.exists():
        cp.read(path)
    cp[p.name] = {f: getattr(p, f) for f in FIELDS if getattr(p, f)}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        cp.write(f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
