"""What `mlps synth` hands the roles is what the roles read: every variable of a role group in
the synthesized inventory is declared in that role's ``meta/argument_specs.yml`` and passes
Ansible's own argument validation there (types, choices, sub-options such as
``log_forwarder_servers[].host/.name``); every required variable is either given by the
inventory or a documented site fact; every secret a play's roles declare (``no_log``) is handed
to that play or documented as generated on the host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from synthfix import EXAMPLES, ROOT
from test_secret_names import GENERATED_ON_HOST, no_log_options, plays

from mlps.roles import names
from mlps.synth.run import SynthResult
from stacks.inventory import load_inventory

SITE_FACTS = {
    "link_failover": {"link_failover_peerings", "link_failover_accept_prefixes"},
}
"""Required role variables the spec cannot hold (interfaces and addresses of each line, what the
far edge announces): host_vars written on site, documented in docs/link-failover.md."""
SITE_DOCS = {"link_failover": ROOT / "docs" / "link-failover.md"}


def main_options(role: str) -> dict[str, Any]:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options: dict[str, Any] = specs["argument_specs"]["main"]["options"]
    return options


def _plain(value: Any) -> Any:
    """Inventory values without the ``!unsafe`` str subclass (the validator sees plain data)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def role_groups(result: SynthResult) -> dict[str, dict[str, Any]]:
    children = load_inventory(result.files["inventory.yml"])["all"]["children"]
    return {g: _plain(c.get("vars", {})) for g, c in children.items() if g in names()}


def validate(role: str, given: dict[str, Any]) -> list[str]:
    """Ansible's argument validation of ``given`` against the role's main entry point; options
    the inventory does not give are not required here (the next test accounts for them)."""
    spec = {name: {k: v for k, v in opt.items() if k not in ("description", "required", "default")}
            for name, opt in main_options(role).items()}
    result = ArgumentSpecValidator(spec).validate(given)
    return [str(e) for e in result.errors]


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_inventory_variable_is_one_the_role_declares_and_accepts(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    groups = role_groups(synthesized[stack])
    assert groups, stack
    for group, variables in groups.items():
        # A group may carry another role's variable for its hosts alone (the bastion group the
        # forwarder's log_forwarder_bastion_sessions); each is judged by the role it names.
        for role, given in _by_role(variables).items():
            undeclared = set(given) - set(main_options(role))
            assert undeclared == set(), f"{stack}: {role} does not read {sorted(undeclared)} (group {group})"
            assert validate(role, given) == [], f"{stack}: {role} (group {group})"


def _by_role(variables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Variables split by the role whose prefix they carry (the longest role name matching)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in variables.items():
        role = max((r for r in names() if name.startswith(f"{r}_")), key=len, default="")
        out.setdefault(role, {})[name] = value
    return out


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_required_variable_is_given_or_a_documented_site_fact(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    secrets = {var for _, found in plays(synthesized[stack]) for var in found}
    for role, given in role_groups(synthesized[stack]).items():
        required = {n for n, o in main_options(role).items() if o.get("required")}
        missing = required - set(given) - secrets - SITE_FACTS.get(role, set())
        assert missing == set(), f"{stack}: {role} needs {sorted(missing)} and synth gives none"
        for fact in SITE_FACTS.get(role, set()):
            assert fact in SITE_DOCS[role].read_text(encoding="utf-8"), fact


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_role_verifies_against_the_environment_level(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    inventory = load_inventory(synthesized[stack].files["inventory.yml"])["all"]
    for role, given in role_groups(synthesized[stack]).items():
        assert given.get(f"{role}_level") == inventory["vars"]["mlps_level"], role


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_secret_of_a_play_s_roles_is_handed_to_that_play(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    declared = no_log_options()
    for roles, secret_vars in plays(synthesized[stack]):
        wanted = {var for var, role in declared.items() if role in roles} - set(GENERATED_ON_HOST)
        assert wanted - set(secret_vars) == set(), f"{stack}: play {roles}"


def test_log_servers_reach_the_forwarder_as_address_and_certificate_name(
        synthesized: dict[str, SynthResult]) -> None:
    from synthfix import example

    from stacks.model import environment

    env = environment(example("hybrid-prod").data)
    given = role_groups(synthesized["hybrid-prod"])["log_forwarder"]["log_forwarder_servers"]
    assert given == [{"host": h.address, "name": h.name} for h in env.hosts_with("log_audit_server")]
    assert len(given) == 2


def test_a_mismatch_is_caught() -> None:
    """The validation above fails on what the inventory used to emit."""
    assert validate("log_forwarder", {"log_forwarder_servers": ["10.0.0.1"]}) != []
    assert set({"link_failover_lines": []}) - set(main_options("link_failover")) != set()
    assert Path(ROOT / "roles" / "link_failover").is_dir()
