"""Every role has a README naming exactly its argument_spec options, an example play using the role
by its collection name and the platforms its tests run on; meta/main.yml claims no others."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlps import role_docs

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if p.is_dir())
MODULES = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")}


def options(role: str) -> set[str]:
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return {name for entry in specs["argument_specs"].values() for name in (entry.get("options") or {})}


def mismatches(role: str, readme: str) -> tuple[set[str], set[str]]:
    """(options the README never names, role variables the README names that are no option)."""
    named = set(re.findall(r"`([a-z][a-z0-9_]*)`", readme))
    documented = options(role)
    stray = {n for n in named if n.startswith(role + "_") and "__" not in n and n not in MODULES}
    return documented - named, stray - documented


def test_the_readmes_are_those_the_specs_give() -> None:
    assert role_docs.write(check=True) == [], "run: python -m mlps.role_docs --write"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_readme_names_every_option_and_no_other(role: str) -> None:
    readme = (ROLES / role / "README.md").read_text(encoding="utf-8")
    assert mismatches(role, readme) == (set(), set())


def test_a_readme_missing_an_option_or_naming_a_stray_one_is_caught() -> None:
    readme = (ROLES / "bastion" / "README.md").read_text(encoding="utf-8")
    dropped = readme.replace("`bastion_totp_window`", "the TOTP window")
    assert mismatches("bastion", dropped) == ({"bastion_totp_window"}, set())
    added = readme + "\nSet `bastion_totp_windows` to widen it.\n"
    assert mismatches("bastion", added) == (set(), {"bastion_totp_windows"})


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_readme_has_an_example_play_by_collection_name_and_the_platforms(role: str) -> None:
    readme = (ROLES / role / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Example\n.*?```yaml\n(.*?)```", readme, re.S)
    assert example, "no example play"
    plays = yaml.safe_load(example.group(1))
    used = [
        task.get("ansible.builtin.include_role", {}).get("name")
        for play in plays for task in play.get("tasks", [])
    ] + [r["role"] for play in plays for r in play.get("roles", [])]
    assert f"mlps.hospital.{role}" in used
    assert "## Platforms\n\nTested on Debian 12 (bookworm)" in readme


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_meta_lists_only_the_platform_the_lab_tests_run(role: str) -> None:
    meta = yaml.safe_load((ROLES / role / "meta" / "main.yml").read_text(encoding="utf-8"))
    assert meta["galaxy_info"]["platforms"] == [{"name": "Debian", "versions": ["bookworm"]}]
    lab_tests = [*(ROOT / "tests" / "roles").glob("test_*.py"),
                 *(ROOT / "tests" / "roles" / "playbooks").glob("*.yml")]
    assert any(re.search(rf"\b{role}\b", p.read_text(encoding="utf-8")) for p in lab_tests), \
        f"no lab test runs {role}"
