"""Spec fields reach the roles that enforce them: every leaf of the enforced sections is carried
to a role variable its argument specs declare, or listed with the reason no role takes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.inventory import inventory
from stacks.model import environment as load_environment
from stacks.spec_variables import CARRIED, NOT_CARRIED, carried_vars

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "mlps/schemas/environment.schema.json").read_text())
SECTIONS = ("baseline", "bastion", "log_audit", "kubernetes")


def _leaves(node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    props = node.get("properties")
    if node.get("type") == "object" and props:
        for key, child in props.items():
            yield from _leaves(child, (*path, key))
    else:
        yield path


def _options(role: str) -> dict[str, Any]:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())
    return dict(specs["argument_specs"]["main"]["options"])


def test_every_enforced_spec_field_is_carried_or_has_a_reason() -> None:
    leaves = {leaf for section in SECTIONS for leaf in _leaves(SCHEMA["properties"][section], (section,))}
    carried = {c.path for c in CARRIED}
    assert leaves - carried - set(NOT_CARRIED) == set()
    assert (carried | set(NOT_CARRIED)) - leaves == set(), "a listed field the schema no longer has"
    assert carried & set(NOT_CARRIED) == set()
    assert all(reason.strip() for reason in NOT_CARRIED.values())


def _schema(path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = SCHEMA["properties"][path[0]]
    for key in path[1:]:
        node = node["properties"][key]
    return node


_TYPES = {"integer": "int", "boolean": "bool", "string": "str", "array": "list"}


@pytest.mark.parametrize("item", CARRIED, ids=lambda c: "/".join(c.path))
def test_each_carried_field_lands_in_a_declared_variable_of_its_type(item: Any) -> None:
    """The role's argument specs declare the variable with the field's type, and every value
    the schema allows is one the role takes, or is held back (``accepted``) for its default."""
    option = _options(item.role)[item.variable]
    field = _schema(item.path)
    if item.convert is None:
        assert option.get("type", "str") == _TYPES[field["type"]]
    else:
        assert option.get("type") == "bool"
    if "choices" in option and item.convert is None:
        allowed = set(field.get("enum", ()))
        assert allowed, "a role with choices takes a field with an enum"
        assert allowed & set(item.accepted or allowed) <= set(option["choices"])


def test_values_the_role_cannot_take_are_held_back() -> None:
    assert carried_vars({"baseline": {"ssh": {"permit_root_login": "yes"}}}) == {}
    assert carried_vars({"baseline": {"ssh": {"permit_root_login": "prohibit-password"}}}) == {
        "baseline": {"baseline_ssh_permit_root_login": "prohibit-password"}}


def test_the_bastions_recordings_are_forwarded_from_the_bastion_hosts_alone() -> None:
    raw = _spec("onprem-lab")
    raw["log_audit"]["include"]["bastion_sessions"] = False
    children = inventory(load_environment(raw))["all"]["children"]
    assert children["bastion"]["vars"]["log_forwarder_bastion_sessions"] is False
    assert "log_forwarder_bastion_sessions" not in children["log_forwarder"]["vars"]


def _spec(name: str) -> dict[str, Any]:
    text = (ROOT / f"Pulumi.{name}.yaml").read_text()
    return dict(yaml.safe_load(text)["config"]["mlps:environment"])


def test_a_stricter_spec_reaches_the_hosts_inventory() -> None:
    raw = _spec("onprem-lab")
    raw["baseline"]["password"]["min_length"] = 16
    raw["baseline"]["lockout"]["attempts"] = 3
    raw["bastion"]["allowed_sources"] = ["10.140.8.0/24"]
    raw["bastion"]["recording_retention_days"] = 400
    raw["log_audit"]["disk_alert_percent"] = 70
    children = inventory(load_environment(raw))["all"]["children"]
    assert children["baseline"]["vars"]["baseline_password_min_length"] == 16
    assert children["baseline"]["vars"]["baseline_lockout_attempts"] == 3
    assert children["bastion"]["vars"]["bastion_allowed_sources"] == ["10.140.8.0/24"]
    assert children["bastion"]["vars"]["bastion_recording_retention_days"] == 400
    assert children["bastion"]["vars"]["bastion_totp_enabled"] is True
    assert children["log_audit_server"]["vars"]["log_audit_server_disk_alert_percent"] == 70


def test_fields_the_spec_leaves_out_keep_the_roles_defaults() -> None:
    assert carried_vars({}) == {}
    assert carried_vars({"bastion": {"mfa": "none"}}) == {"bastion": {"bastion_totp_enabled": False}}
    assert carried_vars({"log_audit": {"tamper_evidence": "none"}}) == {}  # the role's sha256 chain stays
    assert carried_vars({"log_audit": {"tamper_evidence": "sm3"}}) == {
        "log_audit_server": {"log_audit_server_tamper_evidence": "sm3"}}


def test_s3_is_admitted_from_the_zones_whose_flows_reach_the_storage_zone() -> None:
    raw = _spec("onprem-lab")
    children = inventory(load_environment(raw))["all"]["children"]
    assert children["object_storage"]["vars"]["object_storage_s3_allowed_cidrs"] == ["10.120.0.0/22"]
    for zone in raw["zones"]:
        if zone["name"] == "storage":
            zone["ingress"] = [f for f in zone["ingress"] if 8333 not in f["ports"]]
            zone["ingress"].append({"from": "office", "ports": [8333, 443]})
    children = inventory(load_environment(raw))["all"]["children"]
    assert children["object_storage"]["vars"]["object_storage_s3_allowed_cidrs"] == ["10.140.0.0/20"]
