"""Named checks at the edges the mutation run found unpinned: a limit one step either side, the
defaults a spec may leave out, a malformed entry before a real one, the second finding after the
first, and the name or port a message must show. A spec that breaks the schema still runs the
named checks (the engine reports both), so they must neither crash on a wrong type nor invent a
finding from a missing value."""

from __future__ import annotations

from typing import Any

import pytest

from mlps.checks import REGISTRY


def run(name: str, spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    return list(REGISTRY[name](spec, 3))


def pointers(name: str, spec: dict[str, Any]) -> list[str]:
    return [pointer for pointer, _, _ in run(name, spec)]


# --- placement of core data ---------------------------------------------------------------

def test_core_workload_in_the_cloud_is_one_finding_at_its_placement() -> None:
    spec = {"layout": "hybrid",
            "zones": [{"name": "cloud-app", "kind": "application", "placement": "cloud"}],
            "workloads": [{"name": "his", "kind": "his", "data_class": "core",
                           "placement": "cloud", "zone": "cloud-app"}]}
    assert pointers("core_data_onprem", spec) == ["/workloads/0/placement"]


def _dmz(*ingress: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "dmz", "kind": "dmz", "ingress": list(ingress)}]


def test_core_workload_in_an_undefined_zone_does_not_hide_the_next_one() -> None:
    spec = {"zones": _dmz(), "workloads": [{"name": "his", "kind": "his", "zone": "ghost"},
                                           {"name": "emr", "kind": "emr", "zone": "dmz"}]}
    assert pointers("core_workloads_inside", spec) == ["/workloads/1/zone"]


def test_relabelled_workload_in_the_dmz_says_why_it_is_core_data() -> None:
    spec = {"zones": _dmz(), "workloads": [
        {"name": "viewer", "kind": "pacs", "data_class": "public", "zone": "dmz"}]}
    [(pointer, zh, en)] = run("core_workloads_inside", spec)
    assert pointer == "/workloads/0/zone"
    assert "保存核心医疗数据（kind pacs：" in zh
    assert "holds core medical data (kind pacs: medical records and images" in en


def test_internet_rule_names_the_default_pod_port_of_the_workload_it_reaches() -> None:
    spec = {"zones": _dmz({"from": "internet", "ports": [443]}),
            "workloads": [{"name": "pacs", "kind": "pacs", "zone": "dmz"}]}
    found = run("core_workloads_inside", spec)
    assert [p for p, _, _ in found] == ["/workloads/0/zone", "/zones/0/ingress/0"]
    assert "应用 pacs:8080" in found[1][1] and "reach pacs:8080, holding" in found[1][2]


def test_core_zone_without_ingress_rules_has_nothing_reaching_it() -> None:
    spec = {"zones": [{"name": "core", "kind": "core"}],
            "workloads": [{"name": "his", "kind": "his", "zone": "core"}]}
    assert run("core_workloads_inside", spec) == []


def test_keeping_periods_of_the_wrong_type_are_left_to_the_schema() -> None:
    spec = {"record_keeping": {"outpatient_years": "15", "inpatient_years": "30"},
            "object_storage": {"buckets": [{"name": "pacs-images",
                                            "object_lock": {"retention_days": "10950"}}]}}
    assert run("records_kept_long_enough", spec) == []


def test_record_bucket_without_retention_days_is_locked_the_default_10950_days() -> None:
    spec = {"record_keeping": {"inpatient_years": 31},
            "object_storage": {"buckets": [{"name": "pacs-images"}]}}
    [(pointer, zh, en)] = run("records_kept_long_enough", spec)
    assert pointer == "/object_storage/buckets/0/object_lock/retention_days"
    assert "对象锁定只有 10950 天，短于病历保存期限 11315 天" in zh
    assert "locks them only 10950 days, less than the 11315-day" in en


# --- object storage hosts -----------------------------------------------------------------

def _storage(*hosts: dict[str, Any], backend: str = "seaweedfs") -> dict[str, Any]:
    return {"object_storage": {"backend": backend, "buckets": [{"name": "pacs-images"}]},
            "hosts": [{**h, "roles": ["object_storage"]} for h in hosts]}


def test_storage_hosts_of_a_cloud_backend_are_not_counted() -> None:
    spec = _storage(*[{"name": "oss", "address": "10.0.0.1"}] * 3, backend="alicloud-oss")
    assert run("storage_hosts_distinct", spec) == []


def test_four_storage_entries_on_three_machines_pass_on_two_fail() -> None:
    three = _storage({"name": "s1", "address": "10.0.0.1"}, {"name": "s2", "address": "10.0.0.2"},
                     {"name": "s3", "address": "10.0.0.3"}, {"name": "S1", "address": "10.0.0.4"})
    assert run("storage_hosts_distinct", three) == []
    two = _storage({"name": "s1", "address": "10.0.0.1"}, {"name": "s2", "address": "10.0.0.2"},
                   {"name": "s3", "address": "10.0.0.2"}, {"name": "S1", "address": "10.0.0.4"})
    assert pointers("storage_hosts_distinct", two) == ["/hosts/2", "/hosts/3"]


@pytest.mark.parametrize("missing", ["name", "address"])
def test_storage_hosts_missing_a_name_or_address_are_told_apart_by_the_other(missing: str) -> None:
    hosts = [{"name": f"s{n}", "address": f"10.0.0.{n}"} for n in (1, 2, 3)]
    spec = _storage(*[{k: v for k, v in h.items() if k != missing} for h in hosts])
    assert run("storage_hosts_distinct", spec) == []


def test_repeated_storage_host_is_reported_against_the_first_entry_of_its_machine() -> None:
    spec = _storage({"name": "s1", "address": "10.0.0.1"}, {"name": "s1", "address": "10.0.0.2"},
                    {"name": "s3", "address": "10.0.0.2"}, {"name": "s4", "address": "10.0.0.4"})
    found = run("storage_hosts_distinct", spec)
    assert [p for p, _, _ in found] == ["/hosts/1", "/hosts/2"]
    assert all("has the name or address of /hosts/0," in en for _, _, en in found)


# --- log audit ----------------------------------------------------------------------------

def _log_servers(*hosts: dict[str, Any]) -> dict[str, Any]:
    return {"hosts": [{**h, "roles": ["log_audit_server"]} for h in hosts]}


@pytest.mark.parametrize("missing", ["name", "address"])
def test_log_servers_missing_a_name_or_address_are_told_apart_by_the_other(missing: str) -> None:
    hosts = [{"name": "log1", "address": "10.0.0.1"}, {"name": "log2", "address": "10.0.0.2"}]
    spec = _log_servers(*[{k: v for k, v in h.items() if k != missing} for h in hosts])
    assert run("log_servers_redundant", spec) == []


def test_mutual_tls_left_out_is_on() -> None:
    assert run("log_transport_assured", {"log_audit": {"transport": "relp-tls"}}) == []
    assert pointers("log_transport_assured", {"log_audit": {"mutual_tls": False}}) == [
        "/log_audit/mutual_tls"]


# --- dedicated-line volume ----------------------------------------------------------------

def _line(up: int, down: int = 1000, **extra: Any) -> dict[str, Any]:
    return {"name": "cu", "bandwidth_mbps": {"up": up, "down": down}, **extra}


def test_default_eight_hour_window_holds_252_gb_at_100_mbit_not_253() -> None:
    def spec(gb: int) -> dict[str, Any]:
        return {"links": [_line(100, daily_gb={"up": gb})]}

    assert run("lines_carry_daily_volume", spec(252)) == []
    [(pointer, _, en)] = run("lines_carry_daily_volume", spec(253))
    assert pointer == "/links/0/bandwidth_mbps/up"
    assert "more than 70% of the 8 h backup window (5.60 h)" in en


def test_volumes_of_one_gigabyte_or_less_count() -> None:
    backup = {"window_hours": 1, "offsite": {"daily_gb": 0.5}}
    assert pointers("lines_carry_daily_volume", {"backup": backup, "links": [_line(1)]}) == [
        "/links/0/bandwidth_mbps/up"]
    own = {"backup": {"window_hours": 1}, "links": [_line(1, daily_gb={"up": 1})]}
    assert pointers("lines_carry_daily_volume", own) == ["/links/0/bandwidth_mbps/up"]


def test_replicated_buckets_add_up() -> None:
    def spec(*gb: int) -> dict[str, Any]:
        return {"backup": {"window_hours": 1}, "links": [_line(10)],
                "object_storage": {"buckets": [{"name": f"b{n}", "replication": {"daily_gb": g}}
                                               for n, g in enumerate(gb)]}}

    assert run("lines_carry_daily_volume", spec(2, 1)) == []  # 3 GB fit in 0.7 h at 10 Mbit/s
    assert pointers("lines_carry_daily_volume", spec(2, 2)) == ["/links/0/bandwidth_mbps/up"]


def test_window_of_the_wrong_type_is_left_to_the_schema() -> None:
    spec = {"backup": {"window_hours": "8"}, "links": [_line(1, daily_gb={"up": 100})]}
    assert run("lines_carry_daily_volume", spec) == []


def test_line_without_rates_does_not_hide_the_next_one() -> None:
    spec = {"backup": {"window_hours": 1},
            "links": [{"name": "ct"}, _line(1, daily_gb={"up": 1})]}
    assert pointers("lines_carry_daily_volume", spec) == ["/links/1/bandwidth_mbps/up"]


def test_bfd_entry_without_numbers_does_not_hide_the_next_line() -> None:
    spec = {"links": [{"name": "ct"}, {"name": "cu", "bfd": {"interval_ms": "300"}},
                      {"name": "cm", "bfd": {"interval_ms": 500, "multiplier": 3}}]}
    assert pointers("bfd_detection_time", spec) == ["/links/2/bfd"]


# --- zones and flows ----------------------------------------------------------------------

def test_malformed_ingress_does_not_hide_a_flow_from_an_undefined_zone() -> None:
    spec = {"zones": [{"name": "core"},
                      {"name": "dmz", "ingress": ["any", {"from": "ghost", "ports": [443]}]}]}
    assert pointers("flows_known_zones", spec) == ["/zones/1/ingress/1/from"]


def test_host_zone_and_address_of_the_wrong_type_are_left_to_the_schema() -> None:
    spec = {"zones": [{"name": "core", "cidr": "10.20.0.0/24"}],
            "hosts": [{"name": "his-1", "zone": ["core"], "address": "10.20.0.5"},
                      {"name": "his-2", "zone": "core", "address": 167837696}]}
    assert pointers("zones_well_formed", spec) == ["/hosts/0/zone"]


# --- administration paths -----------------------------------------------------------------

ZONES = [
    {"name": "mgmt", "kind": "management", "cidr": "10.0.0.0/24",
     "ingress": [{"from": "office", "ports": [22]}]},
    {"name": "core", "kind": "core", "cidr": "10.1.0.0/24"},
    {"name": "office", "kind": "office", "cidr": "10.5.0.0/24"},
]


def _admin(allowed: Any = None, ingress: list[Any] | None = None) -> dict[str, Any]:
    bastion: dict[str, Any] = {"zone": "mgmt"}
    if allowed is not None:
        bastion["allowed_sources"] = allowed
    zones = [dict(z) for z in ZONES]
    if ingress is not None:
        zones[1]["ingress"] = ingress
    return {"bastion": bastion, "zones": zones}


def test_ssh_to_the_bastion_only_from_inside_its_allowed_sources() -> None:
    assert run("admin_paths_via_bastion", _admin(["10.5.0.0/16"])) == []
    for allowed in (["10.9.0.0/24"], None):
        assert pointers("admin_paths_via_bastion", _admin(allowed)) == ["/zones/0/ingress/0/from"]


@pytest.mark.parametrize("ports", [[True, 22], ["x-22", 22], ["22-x", 22]])
def test_malformed_port_does_not_hide_the_administrative_port_after_it(ports: list[Any]) -> None:
    spec = _admin(["10.5.0.0/16"], [{"from": "office", "ports": ports}])
    [(pointer, _, en)] = run("admin_paths_via_bastion", spec)
    assert pointer == "/zones/1/ingress/0/from" and "SSH (tcp 22)" in en


def test_allowed_source_written_with_host_bits_still_covers_its_network() -> None:
    [(pointer, _, en)] = run("admin_terminals_not_servers", _admin(["10.1.0.9/16"]))
    assert pointer == "/bastion/allowed_sources/0"
    assert "entry 10.1.0.0/16 covers server zone core" in en


def test_allowed_sources_non_text_skipped_unparsable_text_and_every_bad_entry_reported() -> None:
    spec = _admin([167837696, "not-a-network", "10.1.0.0/16", "10.0.0.0/8"])
    assert pointers("admin_terminals_not_servers", spec) == [
        "/bastion/allowed_sources/1", "/bastion/allowed_sources/2", "/bastion/allowed_sources/3"]


# --- administrator accounts ---------------------------------------------------------------

def test_same_employee_id_names_both_accounts_when_there_is_no_full_name() -> None:
    spec = {"admins": [{"name": "ops1", "role": "system", "employee_id": "E1"},
                       {"name": "aud1", "role": "audit", "employee_id": "E1"}]}
    [(pointer, zh, en)] = run("admin_roles_separated", spec)
    assert pointer == "/admins/1/employee_id"
    assert zh.startswith("aud1 与 /admins/0（ops1）的工号 E1 相同")
    assert en.startswith("aud1 has the employee id E1 of /admins/0 (ops1)")


def test_every_person_holding_two_roles_is_reported() -> None:
    spec = {"admins": [{"name": "nobody"},
                       {"name": "a", "role": "system", "employee_id": "E1"},
                       {"name": "b", "role": "audit", "employee_id": "E1"},
                       {"name": "c", "role": "system", "employee_id": "E2"},
                       {"name": "d", "role": "security", "employee_id": "E2"}]}
    assert pointers("admin_roles_separated", spec) == [
        "/admins/2/employee_id", "/admins/4/employee_id"]
