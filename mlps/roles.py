"""The one list of roles (``mlps/roles.yaml``) and the playbooks generated from it.

``python -m mlps.roles --write`` rewrites ``playbooks/site.yml`` and ``playbooks/verify.yml``;
``--check`` exits 1 when either differs from what the list gives.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from mlps.resources import PACKAGE_DIR, PROJECT_DIR

ROLES_FILE = PACKAGE_DIR / "roles.yaml"
PLAYBOOKS = PROJECT_DIR / "playbooks"


@dataclass(frozen=True)
class Service:
    """A port a role's hosts serve to other hosts, and which hosts are its clients."""

    service: str
    protocol: str
    port: int
    variable: str
    clients: tuple[str, ...]
    """Role groups whose hosts connect; ``every_host`` for all of them."""


@dataclass(frozen=True)
class Reach:
    """Servers outside the roles that a role's hosts connect to, named by role variables."""

    service: str
    protocol: str
    port: int
    servers: str
    """The role variable listing the servers' addresses."""
    enabled: str
    """The role variable that switches the need on."""


@dataclass(frozen=True)
class Role:
    """One role of the collection: its inventory group, plays, verify entry and services."""

    name: str
    hosts: str
    every_host: bool
    verify: str
    site: str
    check: str
    serves: tuple[Service, ...] = ()
    reaches: tuple[Reach, ...] = ()


@cache
def roles() -> tuple[Role, ...]:
    """Every host role, in the order ``playbooks/site.yml`` applies them."""
    data = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))
    return tuple(
        Role(name=r["name"], hosts=r.get("hosts", r["name"]), every_host=bool(r.get("every_host")),
             verify=r["verify"], site=r["site"], check=r["check"],
             serves=tuple(Service(s["service"], s["protocol"], int(s["port"]), s["variable"],
                                  tuple(s["clients"])) for s in r.get("serves", ())),
             reaches=tuple(Reach(n["service"], n["protocol"], int(n["port"]), n["servers"],
                                 n["enabled"]) for n in r.get("reaches", ())))
        for r in data["roles"])


def service(role: str, name: str) -> Service:
    """The service ``name`` of ``role`` (KeyError when the list has none)."""
    for r in roles():
        for s in r.serves:
            if r.name == role and s.service == name:
                return s
    raise KeyError(f"{role} serves no {name}")


@cache
def shared_roles() -> tuple[str, ...]:
    """Roles no host group takes (used by the host roles)."""
    data = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))
    return tuple(data.get("shared", []))


def names() -> tuple[str, ...]:
    """Host role names in order."""
    return tuple(r.name for r in roles())


def every_host() -> tuple[str, ...]:
    """Roles whose group holds every host of an inventory."""
    return tuple(r.name for r in roles() if r.every_host)


def _quote(text: str) -> str:
    """``text`` as a YAML plain scalar when it is one, else double-quoted."""
    dumped: str = yaml.safe_dump(text, allow_unicode=True, width=1000).removesuffix("\n...\n")
    return dumped.rstrip("\n")


def render_site() -> str:
    """Text of ``playbooks/site.yml``."""
    out = ["---",
           "# Generated from mlps/roles.yaml by `python -m mlps.roles --write`; edit that list.",
           "# Build every host of an environment: one play per role, by inventory group",
           "# (hosts[].roles of the environment spec; "
           + " and ".join(f"`{n}`" for n in every_host()) + " run on every host)."]
    for role in roles():
        out += ["", f"- name: {_quote(role.site)}", f"  hosts: {role.hosts}", "  become: true",
                "  roles:", f"    - role: {role.name}", f"      tags: [{role.name}]"]
    return "\n".join(out) + "\n"


def render_verify() -> str:
    """Text of ``playbooks/verify.yml``."""
    out = ["---",
           "# Generated from mlps/roles.yaml by `python -m mlps.roles --write`; edit that list.",
           "# Collect host evidence: every role's verify entry writes <evidence_dir>/<host>/<role>.json.",
           "# Run: ansible-playbook -i INVENTORY playbooks/verify.yml -e evidence_dir=/path/to/evidence"]
    for role in roles():
        out += ["", f"- name: {_quote(role.check)}", f"  hosts: {role.hosts}", "  become: true",
                "  tasks:", f"    - name: Verify {role.name}",
                "      ansible.builtin.include_role:", f"        name: {role.name}",
                f"        tasks_from: {role.verify}", "        apply:",
                f"          tags: [{role.name}]", f"      tags: [{role.name}]"]
    return "\n".join(out) + "\n"


def generated() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    return {PLAYBOOKS / "site.yml": render_site(), PLAYBOOKS / "verify.yml": render_verify()}


def main(argv: list[str] | None = None) -> int:
    """``--write`` the generated playbooks, or ``--check`` that they are current."""
    args = sys.argv[1:] if argv is None else argv
    if args not in (["--write"], ["--check"]):
        print("usage: python -m mlps.roles --write | --check", file=sys.stderr)
        return 2
    stale = [path for path, text in generated().items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args == ["--check"]:
        for path in stale:
            print(f"{path}: differs from mlps/roles.yaml; run `python -m mlps.roles --write`",
                  file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(generated()[path], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
