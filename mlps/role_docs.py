"""Each role's README.md, written from its ``meta/argument_specs.yml``, ``meta/main.yml`` and the
role list (``mlps/roles.yaml``): what it does, its entry points, an example play using the role
by its collection name, every variable, and the platforms it is tested on.

``python -m mlps.role_docs --write`` rewrites the READMEs; ``--check`` exits 1 when one differs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from mlps.resources import PROJECT_DIR
from mlps.roles import roles

ROLES_DIR = PROJECT_DIR / "roles"
COLLECTION = "mlps.hospital"
PLATFORM_NAMES = {("Debian", "bookworm"): "Debian 12 (bookworm)"}


def _specs(role: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (ROLES_DIR / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    specs: dict[str, Any] = data["argument_specs"]
    return specs


def _paragraphs(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    return [" ".join(v.split()) for v in ([value] if isinstance(value, str) else value)]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _value(value: Any) -> str:
    if value is None:
        return ""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    text = text.removesuffix("...").strip()
    return f"`{text}`" if text else ""


def _type(spec: dict[str, Any]) -> str:
    kind = str(spec.get("type", "str"))
    if "elements" in spec:
        kind = f"{kind} of {spec['elements']}"
    return kind


def _suboptions(options: dict[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for name, spec in options.items():
        spec = spec or {}
        bits = [_type(spec)]
        if spec.get("required"):
            bits.append("required")
        if "default" in spec:
            bits.append(f"default {_value(spec['default'])}")
        if "choices" in spec:
            bits.append("one of " + ", ".join(str(c) for c in spec["choices"]))
        desc = " ".join(_paragraphs(spec.get("description")))
        out.append(f"`{prefix}{name}` ({'; '.join(bits)}): {desc}")
        out.extend(_suboptions(spec.get("options") or {}, f"{prefix}{name}."))
    return out


def _variables(specs: dict[str, Any]) -> list[str]:
    """One table row per top-level option, in the order of the main entry point."""
    merged: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for entry, spec in specs.items():
        for name, option in (spec.get("options") or {}).items():
            merged.setdefault(name, (option or {}, []))[1].append(entry)
    rows = ["| Variable | Type | Default | Entry points | Description |",
            "| --- | --- | --- | --- | --- |"]
    for name, (spec, entries) in merged.items():
        desc = " ".join(_paragraphs(spec.get("description")))
        if spec.get("required"):
            desc = f"Required. {desc}"
        if "choices" in spec:
            desc = f"{desc} One of: {', '.join(str(c) for c in spec['choices'])}."
        subs = _suboptions(spec.get("options") or {}, "")
        if subs:
            desc = f"{desc} Items: " + "; ".join(subs)
        rows.append(f"| `{name}` | {_type(spec)} | {_cell(_value(spec.get('default')))} | "
                    f"{', '.join(entries)} | {_cell(desc)} |")
    return rows


def _required(specs: dict[str, Any], entry: str) -> list[str]:
    return [n for n, s in (specs.get(entry, {}).get("options") or {}).items() if (s or {}).get("required")]


def _platforms(role: str) -> list[tuple[str, str]]:
    meta = yaml.safe_load((ROLES_DIR / role / "meta" / "main.yml").read_text(encoding="utf-8"))
    return [(p["name"], str(v)) for p in meta["galaxy_info"]["platforms"] for v in p["versions"]]


def _example(role: str, specs: dict[str, Any]) -> list[str]:
    by_name = {r.name: r for r in roles()}
    host_role = by_name.get(role)
    fqcn = f"{COLLECTION}.{role}"
    lines = ["```yaml"]
    if host_role is None:  # a shared role: called by the other roles' verify entries
        lines += [
            "- name: Write this host's evidence of a check",
            "  hosts: all",
            "  tasks:",
            "    - name: Write <evidence_dir>/<host>/example.json",
            "      ansible.builtin.include_role:",
            f"        name: {fqcn}",
            "      vars:",
            "        evidence_dir: /srv/mlps/evidence",
            "        evidence_role: example",
            "        evidence_level: 3",
            "        evidence_results:",
            "          - {control: CES-AUTH-01, check: example, status: pass}",
        ]
    else:
        lines += [f"- name: {host_role.site}", f"  hosts: {host_role.hosts}", "  become: true",
                  "  roles:", f"    - role: {fqcn}"]
        lines += ["", f"- name: {host_role.check}", f"  hosts: {host_role.hosts}", "  become: true",
                  "  tasks:", f"    - name: Verify {role}", "      ansible.builtin.include_role:",
                  f"        name: {fqcn}", f"        tasks_from: {host_role.verify}", "      vars:",
                  "        evidence_dir: /srv/mlps/evidence"]
    lines.append("```")
    needed = _required(specs, "main")
    if needed:
        lines += ["", "Set the required variables in the inventory (e.g. `group_vars/"
                  f"{host_role.name if host_role else role}.yml`): "
                  + ", ".join(f"`{n}`" for n in needed) + "."]
    return lines


def render(role: str) -> str:
    """The README.md of ``role``."""
    specs = _specs(role)
    main = specs["main"]
    out = [f"# {COLLECTION}.{role}", "",
           "<!-- Generated by `python -m mlps.role_docs --write` from meta/argument_specs.yml, "
           "meta/main.yml and mlps/roles.yaml; edit those. -->", "",
           _cell(main.get("short_description", "")), ""]
    for para in _paragraphs(main.get("description")):
        out += [para, ""]
    out += ["## Entry points", ""]
    for entry, spec in specs.items():
        line = f"- `{entry}`" + ("" if entry == "main" else f" (`tasks_from: {entry}`)")
        parts = [_cell(spec.get("short_description", "")).rstrip(".") + "."]
        if entry != "main":
            parts += _paragraphs(spec.get("description"))
        out.append(f"{line}: {' '.join(parts)}")
    out += ["", "## Example", "",
            f"With the collection installed (`ansible-galaxy collection install "
            f"mlps-hospital-<version>.tar.gz`), or as `{role}` from this project's `roles/`:", ""]
    out += _example(role, specs)
    out += ["", "## Variables", ""]
    out += _variables(specs)
    platforms = ", ".join(PLATFORM_NAMES.get(p, f"{p[0]} {p[1]}") for p in _platforms(role))
    out += ["", "## Platforms", "",
            f"Tested on {platforms}: the lab tests (tests/roles/) run the role on throwaway "
            "hosts of that release.", ""]
    return "\n".join(out)


def role_names() -> list[str]:
    return sorted(p.name for p in ROLES_DIR.iterdir() if (p / "meta" / "argument_specs.yml").is_file())


def write(check: bool = False) -> list[Path]:
    """Write every role README; with ``check`` only return those that are out of date."""
    stale = []
    for role in role_names():
        path = ROLES_DIR / role / "README.md"
        text = render(role)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str]) -> int:
    if argv not in (["--write"], ["--check"]):
        print("usage: python -m mlps.role_docs --write|--check", file=sys.stderr)
        return 2
    stale = write(check=argv == ["--check"])
    for path in stale:
        print(f"{'out of date' if argv == ['--check'] else 'wrote'}: {path}", file=sys.stderr)
    return 1 if stale and argv == ["--check"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
