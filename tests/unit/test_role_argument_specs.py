"""Every role's variables are documented in meta/argument_specs.yml, namespaced by the role, and
the documented defaults are the ones the role really uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if p.is_dir()))
def test_role_variables_are_documented_with_their_defaults(role: str) -> None:
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    assert set(defaults) - set(options) == set(), "defaults without a description"
    assert [name for name in set(options) | set(defaults) if not name.startswith(role + "_")] == []
    differing = {
        name: (options[name]["default"], value) for name, value in defaults.items()
        if "default" in options[name] and options[name]["default"] != value
        and not (isinstance(value, str) and "{{" in value)
    }
    assert differing == {}, "argument_specs default differs from defaults/main.yml"
