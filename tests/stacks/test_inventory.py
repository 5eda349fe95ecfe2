"""The synthesized inventory: spec text never templated (``!unsafe``), and the role variables
the roles read (time sources, S3 identities) taken from the spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from synthfix import EXAMPLES, ROOT, example, modified

from mlps.ansible_run import PROJECT_ROOT, run_playbook
from mlps.synth.run import SynthResult, synthesize_spec
from stacks.components.ansible import render_secret_vars
from stacks.inventory import UNSAFE_TAG, load_inventory
from stacks.known_hosts import CONNECTION_VARS

PLAY = Path(__file__).resolve().parent / "playbooks" / "spec_text.yml"
STR = "tag:yaml.org,2002:str"


def _value_scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """Every scalar in a value position (mapping values, sequence items) of a YAML node."""
    if isinstance(node, yaml.MappingNode):
        return [s for _, value in node.value for s in _value_scalars(value)]
    if isinstance(node, yaml.SequenceNode):
        return [s for item in node.value for s in _value_scalars(item)]
    assert isinstance(node, yaml.ScalarNode)
    return [node]


@pytest.mark.parametrize("stack", EXAMPLES)
def test_every_string_of_the_inventory_is_unsafe(stack: str, synthesized: dict[str, SynthResult]) -> None:
    text = synthesized[stack].files["inventory.yml"]
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root is not None
    scalars = _value_scalars(root)
    data = load_inventory(text)
    own = [v for v in CONNECTION_VARS.values() if isinstance(v, str)]
    resolver = yaml.resolver.Resolver()
    # Text plain YAML reads as another type ('no', '1.30') is written quoted and untagged, so
    # that Ansible keeps it a string; it holds no template delimiter.
    typed = [s.value for s in scalars if s.tag == STR
             and resolver.resolve(yaml.ScalarNode, s.value, (True, False)) != STR]
    assert not [t for t in typed if "{" in t]
    plain = [s.value for s in scalars if s.tag == STR and s.value not in typed]
    assert plain == own, "strings Ansible would template"
    assert any(s.tag == UNSAFE_TAG for s in scalars)
    spec = data["all"]["vars"]["mlps_spec"]
    assert spec["hospital"]["name"] == example(stack).data["hospital"]["name"]


def _hostile(marker: Path) -> Any:
    payload = "{{ lookup('ansible.builtin.pipe', 'touch " + str(marker) + "') }}"

    def change(data: dict[str, Any]) -> None:
        data["hospital"]["name"] = payload
        data["zones"][0]["description"] = payload

    return payload, modified("onprem-lab", change)


def test_a_lookup_in_spec_text_runs_nothing_on_the_controller(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _, spec = _hostile(marker)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(synthesize_spec(spec, ROOT, "onprem-lab").files["inventory.yml"])
    run = run_playbook(PLAY, inventory, quiet=True)
    assert run.ok, run.output[-3000:]
    assert not marker.exists(), "the spec's lookup ran on the controller"
    assert f"touch {marker}" in run.output  # printed as text, not run


def test_the_same_text_untagged_does_run(tmp_path: Path) -> None:
    """The attack is real: without the tag the very same inventory runs the lookup."""
    marker = tmp_path / "ran"
    _, spec = _hostile(marker)
    data = load_inventory(synthesize_spec(spec, ROOT, "onprem-lab").files["inventory.yml"])
    plain = tmp_path / "plain.yml"
    plain.write_text(yaml.safe_dump(yaml.safe_load(yaml.safe_dump(_plain(data)))))
    run_playbook(PLAY, plain, quiet=True)
    assert marker.exists()


TYPES = Path(__file__).resolve().parent / "playbooks" / "spec_types.yml"


def test_spec_text_shaped_like_other_types_reaches_ansible_as_text(tmp_path: Path) -> None:
    """Ansible resolves a ``!unsafe`` scalar as if plain, quotes or not: written tagged, 'no'
    would reach the roles as False and '0644' as 420."""

    def change(data: dict[str, Any]) -> None:
        for zone, text in zip(data["zones"], ("0644", "no", "1.30", "null"), strict=False):
            zone["description"] = text

    inventory = tmp_path / "inventory.yml"
    synthesized = synthesize_spec(modified("onprem-lab", change), ROOT, "onprem-lab")
    inventory.write_text(synthesized.files["inventory.yml"])
    run = run_playbook(TYPES, inventory, quiet=True)
    assert run.ok, run.output[-3000:]
    tagged = inventory.read_text().replace("description: '", "description: !unsafe '").replace(
        "baseline_ssh_permit_root_login: 'no'", "baseline_ssh_permit_root_login: !unsafe 'no'")
    inventory.write_text(tagged)
    assert not run_playbook(TYPES, inventory, quiet=True).ok, "the tagged text kept its type"


@pytest.mark.parametrize("tagged", [True, False])
def test_a_lookup_in_a_secret_runs_nothing_on_the_controller(tmp_path: Path, tagged: bool) -> None:
    """The secret extra variables of the Pulumi play (``-e @vars.yml``) are values, not templates;
    the untagged run shows that the attack is real."""
    marker = tmp_path / "ran"
    payload = "{{ lookup('ansible.builtin.pipe', 'touch " + str(marker) + "') }}"
    secrets = {"mlps_spec": {"hospital": {"name": payload}}}
    extra = tmp_path / "vars.yml"
    extra.write_text(render_secret_vars(secrets) if tagged else yaml.safe_dump(secrets))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all: {}\n")
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    run = subprocess.run(
        [playbook, "-i", str(inventory), "-e", f"@{extra}", str(PLAY)],
        env={**os.environ, "ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )
    if tagged:
        assert run.returncode == 0, run.stdout[-3000:]
        assert not marker.exists(), "a secret's lookup ran on the controller"
    else:
        assert marker.exists()


def _plain(data: Any) -> Any:
    if isinstance(data, str):
        return str(data)
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def test_time_sources_and_identities_come_from_the_spec(synthesized: dict[str, SynthResult]) -> None:
    inv = load_inventory(synthesized["onprem-lab"].files["inventory.yml"])["all"]["children"]
    baseline = inv["baseline"]["vars"]
    assert baseline["baseline_time_servers"] == ["10.110.0.1"]
    assert baseline["baseline_time_sync_enabled"] is True
    spec = example("onprem-lab").data
    with_bucket = sorted(w["name"] for w in spec["workloads"]
                         if w.get("bucket") and w["placement"] == "onprem")
    assert with_bucket, "the example has a workload with a local bucket"
    identities = inv["object_storage"]["vars"]["object_storage_identities"]
    assert sorted(i["name"] for i in identities) == with_bucket
    assert all(i["grants"][0]["bucket"] for i in identities)


@pytest.mark.parametrize("stack", EXAMPLES)
def test_administrators_and_own_addresses_come_from_the_spec(
        stack: str, synthesized: dict[str, SynthResult]) -> None:
    inv = load_inventory(synthesized[stack].files["inventory.yml"])["all"]
    spec = example(stack).data
    admins = _plain(inv["children"]["baseline"]["vars"]["baseline_admins"])
    assert admins == [{k: a[k] for k in ("name", "role", "ssh_public_key", "full_name") if k in a}
                      for a in spec["admins"]]
    assert {h: v["mlps_address"] for h, v in inv["hosts"].items()} == {
        h["name"]: h["address"] for h in spec["hosts"]}
