"""The README's table of roles is the one the manager enforces (manager/api/auth.py ROLE_OF)."""

from __future__ import annotations

from pathlib import Path

from shoal.manager.api.auth import ANY_KEY, OPEN, ROLE_OF

LABEL = {
    OPEN: "no key",
    ANY_KEY: "any valid key",
    "read-only": "read-only (and above)",
    "operator": "operator (and admin)",
    "admin": "admin only",
}


def table() -> str:
    rows: dict[str, list[str]] = {}
    for method, role in ROLE_OF.items():
        service, name = method.strip("/").split("/")
        if not service.startswith("grpc."):
            rows.setdefault(role, []).append(f"{service.split('.')[-1]}.{name}")
    lines = ["| who may call | RPCs |", "|---|---|"]
    lines += [f"| {LABEL[r]} | {', '.join(sorted(rows.get(r, [])))} |" for r in LABEL]
    return "\n".join(lines) + "\n"


def test_readme_table_matches_the_enforced_roles() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = readme.split("<!-- roles:begin -->\n", 1)[1].split("<!-- roles:end -->", 1)[0]
    assert documented == table(), "regenerate the README's roles table from ROLE_OF"
