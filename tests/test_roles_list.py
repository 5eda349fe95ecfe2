"""One list of roles (mlps/roles.yaml): the playbooks are generated from it, and the role
directories, the environment schema's host role enum, the synthesized inventory's groups,
galaxy.yml and every role's verify entry agree with it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlps import roles as role_list
from mlps.roles import every_host, names, roles, shared_roles

ROOT = Path(__file__).resolve().parent.parent


def test_the_playbooks_are_generated_from_the_list() -> None:
    for path, text in role_list.generated().items():
        assert path.read_text(encoding="utf-8") == text, f"{path}: run `python -m mlps.roles --write`"
    assert role_list.main(["--check"]) == 0


def test_site_applies_and_verify_checks_every_role_in_order() -> None:
    for name in ("site", "verify"):
        plays = yaml.safe_load((ROOT / "playbooks" / f"{name}.yml").read_text(encoding="utf-8"))
        if name == "site":
            applied = [r["role"] for p in plays for r in p["roles"]]
        else:
            applied = [t["ansible.builtin.include_role"]["name"] for p in plays for t in p["tasks"]]
        assert applied == list(names()), name
        assert [p["hosts"] for p in plays] == [r.hosts for r in roles()], name


def test_every_role_directory_is_listed_once() -> None:
    dirs = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
    listed = [*names(), *shared_roles()]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == dirs


def test_the_schema_host_role_enum_is_the_list() -> None:
    schema = json.loads((ROOT / "schemas" / "environment.schema.json").read_text(encoding="utf-8"))
    enum = schema["properties"]["hosts"]["items"]["properties"]["roles"]["items"]["enum"]
    assert enum == list(names())
    description = schema["properties"]["hosts"]["items"]["properties"]["roles"]["description"]
    assert all(name in description for name in every_host())


def test_the_inventory_groups_are_the_list() -> None:
    from stacks import inventory
    from stacks.model import environment

    assert names() == inventory.ROLE_ORDER and every_host() == inventory.EVERY_HOST
    spec = yaml.safe_load((ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8"))
    env = environment(spec["config"]["mlps:environment"])
    children = inventory.inventory(env)["all"]["children"]
    groups = {g for g in children if not g.startswith("zone_")}
    assert groups == set(names()), "hybrid-prod has a host of every role"
    for role in every_host():
        assert set(children[role]["hosts"]) == {h.name for h in env.hosts}, role


def test_galaxy_names_every_role_and_ships_them() -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    named = set(re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)*", galaxy["description"]))
    assert set(names()) | set(shared_roles()) <= named
    assert not any(str(i).strip("/") == "roles" for i in galaxy["build_ignore"])


def test_every_verify_entry_writes_its_evidence_through_the_evidence_role() -> None:
    for role in roles():
        tasks = yaml.safe_load((ROOT / "roles" / role.name / "tasks" / f"{role.verify}.yml").read_text())
        writers = [t for t in tasks if "ansible.builtin.import_role" in t]
        assert [t["ansible.builtin.import_role"]["name"] for t in writers] == ["evidence"], role.name
        assert writers[0]["vars"]["evidence_role"] == role.name
        assert tasks[-1] is writers[0], f"{role.name}: the evidence is written last"
        text = (ROOT / "roles" / role.name / "tasks" / f"{role.verify}.yml").read_text()
        assert "ansible.builtin.copy" not in text, f"{role.name} writes a file of its own"
        specs = yaml.safe_load((ROOT / "roles" / role.name / "meta" / "argument_specs.yml").read_text())
        assert role.verify in specs["argument_specs"], role.name
        assert not any(o.endswith("_evidence_dir") for e in specs["argument_specs"].values()
                       for o in e.get("options", {})), f"{role.name}: one evidence_dir for all"


def test_the_evidence_role_requires_evidence_dir() -> None:
    specs = yaml.safe_load((ROOT / "roles" / "evidence" / "meta" / "argument_specs.yml").read_text())
    assert specs["argument_specs"]["main"]["options"]["evidence_dir"]["required"] is True


def test_check_reports_a_stale_playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(role_list, "PLAYBOOKS", tmp_path)
    (tmp_path / "site.yml").write_text(role_list.render_site())
    (tmp_path / "verify.yml").write_text(role_list.render_verify().replace("k8s_node", "k8s_nod"))
    assert role_list.main(["--check"]) == 1
    assert role_list.main(["--write"]) == 0 and role_list.main(["--check"]) == 0
    assert "k8s_nod\n" not in (tmp_path / "verify.yml").read_text()
    assert role_list.main([]) == 2


def test_each_served_port_is_the_default_of_the_role_variable_that_sets_it() -> None:
    served = [(r.name, s) for r in roles() for s in r.serves]
    assert {(name, s.service) for name, s in served} >= {("log_audit_server", "relp-tls"),
                                                         ("object_storage", "s3")}
    for name, s in served:
        specs = yaml.safe_load((ROOT / "roles" / name / "meta" / "argument_specs.yml").read_text())
        options = specs["argument_specs"]["main"]["options"]
        assert options[s.variable]["default"] == s.port, (name, s.variable)
        assert set(s.clients) <= set(names()) | {"every_host"}, (name, s.clients)


def test_role_flows_go_from_each_client_zone_to_each_server_zone() -> None:
    from mlps.role_flows import RoleFlow, role_flows

    flows = role_flows([("mgmt", ("log_audit_server",)), ("cloud", ("bastion",)),
                        ("core", ("k8s_node",)), ("storage", ("object_storage",))])
    relp = role_list.service("log_audit_server", "relp-tls")
    s3 = role_list.service("object_storage", "s3")
    assert {(f.source, f.zone, f.port) for f in flows} == {
        (zone, "mgmt", relp.port) for zone in ("mgmt", "cloud", "core", "storage")} | {
        ("core", "storage", s3.port)}
    assert flows == sorted(set(flows)) and all(isinstance(f, RoleFlow) for f in flows)
    assert role_flows([("core", ("k8s_node",))]) == []  # no server: nothing to reach
    with pytest.raises(KeyError):
        role_list.service("log_audit_server", "s3")


def test_cloud_security_groups_admit_what_the_roles_need() -> None:
    from stacks.components.network_zones import zone_rules
    from stacks.model import environment

    spec = yaml.safe_load((ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8"))
    env = environment(spec["config"]["mlps:environment"])
    rules = zone_rules(env, env.zones_at("cloud"))
    logs = env.zone("mgmt").cidr
    relp = role_list.service("log_audit_server", "relp-tls").port
    # the cloud bastion and the cloud cluster's nodes forward their records to the audit servers
    assert {(r.zone, r.direction, r.port, r.cidr) for r in rules if r.port == relp} == {
        ("cloud-mgmt", "egress", relp, logs), ("dmz", "egress", relp, logs)}
    # nothing else is opened out of the DMZ, and nothing of the roles on-prem gets a cloud rule
    assert {(r.zone, r.direction) for r in rules} == {
        ("cloud-mgmt", "egress"), ("cloud-mgmt", "ingress"), ("dmz", "egress"), ("dmz", "ingress")}
    assert [r.port for r in rules if r.zone == "dmz" and r.direction == "egress"] == [relp]


def test_each_reach_names_the_role_variables_that_list_and_switch_its_servers() -> None:
    reaches = [(r.name, n) for r in roles() for n in r.reaches]
    assert {(name, n.service, n.protocol, n.port) for name, n in reaches} >= {("baseline", "ntp", "udp", 123)}
    for name, n in reaches:
        specs = yaml.safe_load((ROOT / "roles" / name / "meta" / "argument_specs.yml").read_text())
        options = specs["argument_specs"]["main"]["options"]
        assert (options[n.servers]["type"], options[n.servers]["elements"]) == ("list", "str"), n
        assert options[n.enabled]["type"] == "bool", n


def test_role_reaches_go_from_each_zone_with_hosts_to_each_server_when_switched_on() -> None:
    from mlps.role_flows import role_reaches

    on = {"baseline": {"baseline_time_sync_enabled": True,
                       "baseline_time_servers": ["10.10.0.1", "ntp.hospital.local"]}}
    flows = role_reaches([("mgmt", ("bastion",)), ("core", ())], on)
    assert [(f.source, f.server, f.protocol, f.port) for f in flows] == [
        ("core", "10.10.0.1", "udp", 123), ("core", "ntp.hospital.local", "udp", 123),
        ("mgmt", "10.10.0.1", "udp", 123), ("mgmt", "ntp.hospital.local", "udp", 123)]
    off = {"baseline": {**on["baseline"], "baseline_time_sync_enabled": False}}
    assert role_reaches([("mgmt", ())], off) == []
    assert role_reaches([("mgmt", ())], {}) == []


def _environment(name: str) -> dict:  # type: ignore[type-arg]
    spec = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text(encoding="utf-8"))
    return spec["config"]["mlps:environment"]  # type: ignore[no-any-return]


def _zone_rules(name: str, change: Callable[[dict], None] = lambda d: None) -> list:  # type: ignore[type-arg]
    from stacks.components.network_zones import zone_rules
    from stacks.model import environment

    spec = _environment(name)
    change(spec)
    env = environment(spec)
    return zone_rules(env, env.zones_at("cloud"))


def _ntp(rules: list) -> set[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return {(r.zone, r.direction, r.protocol, r.cidr) for r in rules if r.port == 123}


def test_cloud_hosts_reach_the_hospital_time_servers_and_nothing_else_on_udp_123() -> None:
    # hybrid: the cloud bastion's zone reaches the on-prem server; the DMZ has no hosts of ours
    assert _ntp(_zone_rules("hybrid-prod")) == {("cloud-mgmt", "egress", "udp", "10.10.0.1/32")}
    # cloud only: every zone with hosts reaches the cloud's own time service
    hosts = _environment("cloud-dev")["hosts"]
    assert _ntp(_zone_rules("cloud-dev")) == {
        (zone, "egress", "udp", "100.100.3.1/32") for zone in {h["zone"] for h in hosts}}


def test_no_time_sync_opens_no_time_flow() -> None:
    def off(spec: dict) -> None:  # type: ignore[type-arg]
        spec["baseline"]["time_sync"]["enabled"] = False
    assert _ntp(_zone_rules("hybrid-prod", off)) == set()


def test_a_time_server_in_a_cloud_zone_is_admitted_into_it_once_per_source() -> None:
    def inside(spec: dict) -> None:  # type: ignore[type-arg]
        # two servers in cloud-mgmt, and the spec already opens udp 123 inside that zone
        spec["baseline"]["time_sync"]["servers"] = ["172.16.0.5", "172.16.0.6"]
        mgmt = next(z for z in spec["zones"] if z["name"] == "cloud-mgmt")
        mgmt.setdefault("ingress", []).append({"from": "cloud-mgmt", "protocol": "udp", "ports": [123]})
    rules = _zone_rules("hybrid-prod", inside)
    keys = [(r.zone, r.direction, r.protocol, r.port, r.cidr) for r in rules]
    assert len(keys) == len(set(keys))  # each rule is one resource name
    with_hosts = {h["zone"] for h in _environment("hybrid-prod")["hosts"]}
    cidrs = {z["name"]: z["cidr"] for z in _environment("hybrid-prod")["zones"]}
    assert _ntp(rules) == {
        ("cloud-mgmt", "egress", "udp", "172.16.0.5/32"), ("cloud-mgmt", "egress", "udp", "172.16.0.6/32"),
        ("cloud-mgmt", "egress", "udp", cidrs["cloud-mgmt"]),  # the spec's own flow
    } | {("cloud-mgmt", "ingress", "udp", cidrs[zone]) for zone in with_hosts}
