"""One name per secret from the spec to the host: the spec's secret field, the Pulumi secret the
stack hands to ``ansible-playbook`` as an extra variable, and the role variable that uses it are
one and the same, declared ``no_log: true`` in that role's ``meta/argument_specs.yml``; every such
role variable is fed by the stack or documented as generated on the host."""

from __future__ import annotations

import json
import math
import re
import secrets
import string
from typing import Any

import pytest
import yaml
from synthfix import EXAMPLES, ROOT, example, modified

from mlps.synth.mockrun import GENERATED
from mlps.synth.run import SynthResult, synthesize_spec
from stacks.components.link_failover import PASSWORDS_VAR
from stacks.components.object_storage import IDENTITY_KEYS_VAR, KEY_VAR
from stacks.inventory import load_inventory
from stacks.model import environment

ROLES = ROOT / "roles"
SPEC_SECRETS = {
    "/links/*/bgp/password": PASSWORDS_VAR,
    "/object_storage/encryption_key": KEY_VAR,
}
"""Every secret field of the spec schema and the one role variable it becomes."""
GENERATED_ON_HOST = {
    "k8s_control_plane_encryption_key": ROOT / "docs" / "kubernetes.md",
}
"""no_log role variables the stack does not feed: generated on the hosts (documented there)."""
_LIMIT = re.compile(r"--limit '([^']+)'")


def _no_log(option: dict[str, Any]) -> bool:
    return option.get("no_log") is True or any(
        _no_log(sub) for sub in (option.get("options") or {}).values())


def no_log_options() -> dict[str, str]:
    """Role variable -> role, for every option that is (or holds) a no_log value."""
    found: dict[str, str] = {}
    for path in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                if _no_log(option):
                    found[name] = path.parent.parent.name
    return found


def plays(result: SynthResult) -> list[tuple[list[str], dict[str, Any]]]:
    """(roles the play runs, its secret extra variables) for every ansible-playbook the stack runs."""
    out = []
    for reg in result.registrations:
        env = reg.inputs.get("environment")
        value = env.get("value", env) if isinstance(env, dict) else None
        if reg.type != "command:local:Command" or not isinstance(value, dict) \
                or "MLPS_SECRET_VARS" not in value:
            continue
        limit = _LIMIT.search(str(reg.inputs["create"]))
        assert limit, reg.name
        out.append((limit.group(1).split(":"), load_inventory(value["MLPS_SECRET_VARS"])))
    return out


def _schema_secrets() -> set[str]:
    schema = json.loads((ROOT / "schemas" / "environment.schema.json").read_text())
    found: set[str] = set()

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == "#/$defs/secret":
                found.add(path)
            for key, value in node.items():
                step = {"properties": "", "items": "/*"}.get(key)
                if key in ("properties",):
                    for name, sub in value.items():
                        walk(sub, f"{path}/{name}")
                elif step is not None:
                    walk(value, path + step)
                elif key != "$defs" and isinstance(value, dict | list):
                    walk(value, path)
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(schema, "")
    return found


def test_every_secret_field_of_the_spec_has_one_role_variable() -> None:
    assert _schema_secrets() == set(SPEC_SECRETS)
    declared = no_log_options()
    assert {var: declared.get(var) for var in SPEC_SECRETS.values()} == {
        PASSWORDS_VAR: "link_failover", KEY_VAR: "object_storage"}


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_secret_the_stack_emits_is_a_no_log_variable_of_the_role_it_feeds(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    declared = no_log_options()
    for roles, secret_vars in plays(synthesized[stack]):
        for var in secret_vars:
            assert declared.get(var) in roles, f"{var}: no role of {roles} declares it no_log"


def test_every_no_log_variable_is_fed_by_the_stack_or_generated_on_the_host(
        synthesized: dict[str, SynthResult]) -> None:
    emitted = {var for result in synthesized.values() for _, found in plays(result) for var in found}
    for var, role in no_log_options().items():
        if var in emitted:
            continue
        assert var in GENERATED_ON_HOST, f"{role}: {var} is neither fed by stacks/ nor generated on the host"
        assert var in GENERATED_ON_HOST[var].read_text(encoding="utf-8"), var
    assert {PASSWORDS_VAR, KEY_VAR, IDENTITY_KEYS_VAR} <= emitted


@pytest.mark.parametrize("stack", EXAMPLES)
def test_no_secret_variable_travels_in_the_inventory(stack: str, synthesized: dict[str, SynthResult]) -> None:
    text = synthesized[stack].files["inventory.yml"]
    names: set[str] = set()

    def keys(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node)
            for value in node.values():
                keys(value)
        elif isinstance(node, list):
            for item in node:
                keys(item)

    keys(load_inventory(text))
    assert names & set(no_log_options()) == set()


def test_spec_secrets_reach_the_role_variable_under_their_one_name() -> None:
    key, passwords = secrets.token_hex(32), {}

    def change(data: dict[str, Any]) -> None:
        data["object_storage"]["encryption_key"] = {"secure": key}
        for link in data["links"]:
            passwords[link["name"]] = secrets.token_urlsafe(16)
            link["bgp"]["password"] = {"secure": passwords[link["name"]]}

    result = synthesize_spec(modified("hybrid-prod", change), ROOT, "hybrid-prod")
    fed = {tuple(roles): found for roles, found in plays(result)}
    assert fed[("link_failover",)] == {PASSWORDS_VAR: passwords}
    storage = fed[("object_storage",)]
    assert storage[KEY_VAR] == key
    workloads = sorted(w.name for w in environment(example("hybrid-prod").data).local_s3_workloads())
    assert sorted(storage[IDENTITY_KEYS_VAR]) == workloads
    identities = load_inventory(result.files["inventory.yml"])["all"]["children"]["object_storage"]["vars"]
    assert sorted(i["name"] for i in identities["object_storage_identities"]) == workloads
    text = "\n".join(result.files.values())
    assert key not in text and not any(p in text for p in passwords.values())


_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
"""RandomPassword's special characters unless ``overrideSpecial`` replaces them (pulumi_random)."""


def password_shape(inputs: dict[str, Any]) -> tuple[int, set[str]]:
    """Length and character set of a RandomPassword with these inputs (the provider's defaults)."""
    chars: set[str] = set()
    if inputs.get("upper", True):
        chars |= set(string.ascii_uppercase)
    if inputs.get("lower", True):
        chars |= set(string.ascii_lowercase)
    if inputs.get("numeric", inputs.get("number", True)):
        chars |= set(string.digits)
    if inputs.get("special", True):
        chars |= set(inputs.get("overrideSpecial", _SPECIAL))
    return int(inputs["length"]), chars


def _all_generated(data: dict[str, Any]) -> None:
    data["object_storage"]["encryption_key"] = {"generated": True}
    for link in data["links"]:
        link["bgp"]["password"] = {"generated": True}


def test_generated_secrets_have_the_shape_the_role_checks() -> None:
    """Each secret the stack generates is a ``random`` resource whose result the role accepts."""
    result = synthesize_spec(modified("hybrid-prod", _all_generated), ROOT, "hybrid-prod")
    made = {r.name: r for r in result.registrations if r.type.startswith("random:")}
    key = made.pop("hybrid-prod-object-storage-encryption-key")
    # 32 random bytes; the provider gives `hex` as exactly 64 lower-case hex digits.
    assert (key.type, key.inputs) == ("random:index/randomBytes:RandomBytes", {"length": 32})
    shapes = {name: password_shape(r.inputs) for name, r in made.items()
              if r.type == "random:index/randomPassword:RandomPassword"}
    assert set(shapes) == set(made)
    upper_digits = set(string.ascii_uppercase + string.digits)
    assert shapes.pop("hybrid-prod-object-storage-pacs-access-key") == (20, upper_digits)
    assert shapes.pop("hybrid-prod-object-storage-pacs-secret-key") == (
        40, set(string.ascii_letters + string.digits))
    lines = {link["name"] for link in example("hybrid-prod").data["links"]}
    assert set(shapes) == {f"hybrid-prod-links-{line}-bgp-password" for line in lines}
    for length, chars in shapes.values():
        assert 8 <= length <= 80 and not chars & set('"\\\n')
        assert chars <= set(string.ascii_letters + string.digits + "-_")
        assert length * math.log2(len(chars)) >= 256


@pytest.mark.parametrize("stack", EXAMPLES)
def test_generated_secrets_reach_the_role_under_their_name_and_no_file(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    """Offline a generated secret is the fixed mark GENERATED: it reaches its role variable (as a
    Pulumi secret, masked) and no synthesized file."""
    result = synthesized[stack]
    generated = [r.name for r in result.registrations if r.type.startswith("random:")]
    fed = {tuple(roles): found for roles, found in plays(result)}
    storage = fed.get(("object_storage",), {})
    expected = {KEY_VAR: GENERATED, IDENTITY_KEYS_VAR: {
        w: {"access_key": GENERATED, "secret_key": GENERATED}
        for w in storage.get(IDENTITY_KEYS_VAR, {})}} if storage else {}
    assert storage == expected
    assert len(generated) == (1 + 2 * len(storage[IDENTITY_KEYS_VAR]) if storage else 0)
    assert GENERATED not in "\n".join(result.files.values())
