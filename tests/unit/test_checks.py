"""The named cross-field checks of mlps/checks: wiring to the catalog, edge cases, robustness."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlps.checks import REGISTRY
from mlps.checks.secrets import SECRET_PATHS
from mlps.resources import load_schema

PROJECT_CHECKS = {n for n, fn in REGISTRY.items() if fn.__module__.startswith("mlps.checks.")}


def run(name: str, spec: dict[str, Any], level: int = 3) -> list[tuple[str, str, str]]:
    return list(REGISTRY[name](spec, level))


def _secret_paths(node: Any, path: tuple[str, ...]) -> set[tuple[str, ...]]:
    if not isinstance(node, dict):
        return set()
    if node.get("$ref") == "#/$defs/secret":
        return {path}
    found: set[tuple[str, ...]] = set()
    for key, sub in (node.get("properties") or {}).items():
        found |= _secret_paths(sub, (*path, key))
    if "items" in node:
        found |= _secret_paths(node["items"], (*path, "*"))
    return found


def test_secret_paths_cover_every_secret_field_of_the_environment_schema() -> None:
    assert _secret_paths(load_schema("environment"), ()) == set(SECRET_PATHS)


def test_plaintext_secret_reported_secure_and_generated_accepted() -> None:
    spec = {
        "links": [{"bgp": {"password": {"secure": "AAAB"}}}, {"bgp": {"password": "p"}}],
        "object_storage": {"encryption_key": {"generated": True}},
    }
    assert [p for p, _, _ in run("no_plaintext_secrets", spec)] == ["/links/1/bgp/password"]


def test_carriers_compared_without_case_or_surrounding_spaces() -> None:
    lines = [{"carrier": "China Telecom", "role": "primary"},
             {"carrier": " china telecom ", "role": "backup"}]
    assert run("links_distinct_carriers", {"layout": "hybrid", "links": lines})
    assert not run("links_distinct_carriers", {"layout": "onprem", "links": lines})


def test_ssh_into_bastion_zone_from_a_subnet_of_allowed_sources_passes() -> None:
    spec: dict[str, Any] = {
        "zones": [
            {"name": "mgmt", "kind": "management", "cidr": "10.10.0.0/24",
             "ingress": [{"from": "admins", "ports": [22]}]},
            {"name": "admins", "kind": "office", "cidr": "10.40.1.0/24"},
        ],
        "bastion": {"zone": "mgmt", "allowed_sources": ["10.40.0.0/16"]},
    }
    assert not run("ssh_only_from_management", spec)
    spec["bastion"]["allowed_sources"] = ["10.41.0.0/16"]
    assert [p for p, _, _ in run("ssh_only_from_management", spec)] == ["/zones/0/ingress/0/from"]


def test_duplicate_flows_need_same_protocol_and_a_shared_port() -> None:
    def zone(*flows: dict[str, Any]) -> dict[str, Any]:
        return {"zones": [{"name": "core", "ingress": list(flows)}]}

    a = {"from": "office", "ports": [443, 8443]}
    assert run("flows_minimal", zone(a, {"from": "office", "ports": [8443]}))
    assert not run("flows_minimal", zone(a, {"from": "office", "ports": [8080]}))
    assert not run("flows_minimal", zone(a, {"from": "office", "protocol": "udp", "ports": [443]}))


def test_backup_line_compared_with_the_widest_primary() -> None:
    def lines(backup_up: int) -> dict[str, Any]:
        return {"links": [
            {"name": "a", "role": "primary", "bandwidth_mbps": {"up": 100, "down": 100}},
            {"name": "b", "role": "primary", "bandwidth_mbps": {"up": 400, "down": 100}},
            {"name": "c", "role": "backup", "bandwidth_mbps": {"up": backup_up, "down": 100}},
        ]}

    assert [p for p, _, _ in run("backup_line_bandwidth", lines(150))] == [
        "/links/2/bandwidth_mbps/up"]
    assert not run("backup_line_bandwidth", lines(200))


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["10.0.0.0/8", "10.0.0.300/24", "x", "internet", "hybrid", "management", "core", "cloud",
         "primary", "backup", "log_audit_server", "bastion", "mgmt", "01.2.3.4"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "kind", "cidr", "zone", "address", "roles", "ingress", "from",
                         "ports", "protocol", "carrier", "role", "bandwidth_mbps", "up", "down",
                         "bfd", "enabled", "interval_ms", "multiplier", "bgp", "password",
                         "allowed_sources", "full_name", "ssh_public_key", "data_class",
                         "placement", "buckets", "encryption_key"]),
        inner, max_size=5),
    max_leaves=25,
)
specs = st.dictionaries(
    st.sampled_from(["layout", "zones", "hosts", "links", "admins", "bastion", "workloads",
                     "object_storage"]),
    values, max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(spec=specs, level=st.sampled_from([2, 3, 4]))
def test_checks_never_crash_and_yield_pointer_and_two_messages(spec: dict[str, Any],
                                                               level: int) -> None:
    for name in sorted(PROJECT_CHECKS):
        for pointer, zh, en in REGISTRY[name](spec, level):
            assert pointer.startswith("/") and zh and en, name


def test_register_files_a_check_under_its_own_name_once() -> None:
    from mlps.checks import register
    from mlps.checks.registry import check

    def tst_registry_probe(spec: Any, level: int) -> Any:
        yield from ()

    try:
        register(tst_registry_probe)
        assert REGISTRY["tst_registry_probe"] is tst_registry_probe
        try:
            check("tst_registry_probe")(tst_registry_probe)
        except ValueError as exc:
            assert str(exc) == "check 'tst_registry_probe' is registered twice"
        else:
            raise AssertionError("a second registration under one name must fail")
    finally:
        REGISTRY.pop("tst_registry_probe", None)
    assert {n: fn.__name__ for n, fn in REGISTRY.items() if n in PROJECT_CHECKS} == {
        n: n for n in PROJECT_CHECKS}


def line(name: str, **bfd: Any) -> dict[str, Any]:
    return {"name": name, "bfd": bfd}


def test_bfd_detection_time_in_full() -> None:
    spec = {"links": [line("off", enabled=False, interval_ms=1000, multiplier=9),
                      line("slow", interval_ms=400),  # default multiplier 3: 1200 ms
                      line("odd", multiplier=4),  # default interval 300: 1200 ms
                      line("text", interval_ms="300", multiplier=9),
                      line("fast", interval_ms=100, multiplier=10), {"name": "none"}]}
    assert run("bfd_detection_time", spec) == [
        ("/links/1/bfd", "线路 slow 的 BFD 检测时间 400×3=1200 ms，超过 1000 ms。",
         "Line slow BFD detection time 400x3=1200 ms exceeds 1000 ms."),
        ("/links/2/bfd", "线路 odd 的 BFD 检测时间 300×4=1200 ms，超过 1000 ms。",
         "Line odd BFD detection time 300x4=1200 ms exceeds 1000 ms."),
    ]
    assert run("bfd_detection_time", {"links": [line("d"), line("e", interval_ms=334)]}) == [
        ("/links/1/bfd", "线路 e 的 BFD 检测时间 334×3=1002 ms，超过 1000 ms。",
         "Line e BFD detection time 334x3=1002 ms exceeds 1000 ms.")]
    assert run("bfd_detection_time", {"links": [line("d", interval_ms=301, multiplier=3),
                                                line("f", interval_ms=250)]}) == []


def test_backup_bandwidth_ignores_what_is_not_a_number() -> None:
    spec = {"links": [
        {"name": "p", "role": "primary", "bandwidth_mbps": {"up": 100, "down": "100"}},
        {"name": "b", "role": "backup", "bandwidth_mbps": {"up": 10, "down": 10}},
        {"name": "x", "role": "backup", "bandwidth_mbps": "fast"},
    ]}
    assert run("backup_line_bandwidth", spec) == [(
        "/links/1/bandwidth_mbps/up",
        "备用线路 b 的带宽 10 Mbit/s 不足主线路 100 Mbit/s 的一半，主线路故障时无法承载高峰业务。",
        "Backup line b has 10 Mbit/s, less than half of the primary's 100 Mbit/s; it cannot "
        "carry peak load when the primary fails.")]


def test_flows_without_a_port_list_share_no_port() -> None:
    zone = {"name": "core", "ingress": [{"from": "office", "ports": "all"},
                                         {"from": "office", "ports": "all"}]}
    assert run("flows_minimal", {"zones": [zone]}) == []
    ssh = {"zones": [{"name": "core", "ingress": [{"from": "office", "ports": 22}]},
                     {"name": "office", "kind": "office"}]}
    assert run("ssh_only_from_management", ssh) == []


def test_management_zone_layout_in_full() -> None:
    assert run("management_zone_layout", {"zones": [{"name": "a", "kind": "core"}]}) == [(
        "/zones", "未定义 kind 为 management 的管理区，堡垒机与日志审计无处集中部署。",
        "No zone of kind management is defined; the bastion and log audit have no dedicated "
        "place.")]
    zones = [{"name": "mgmt", "kind": "management"}, {"name": "core", "kind": "core"}]
    hosts = [{"name": "b1", "zone": "core", "roles": ["bastion"]},
             {"name": "l1", "zone": "core", "roles": ["log_audit_server"]},
             {"name": "l2", "zone": "mgmt", "roles": ["log_audit_server"]}]
    spec: dict[str, Any] = {"zones": zones, "hosts": hosts, "bastion": {"zone": "core"}}
    assert run("management_zone_layout", spec) == [
        ("/bastion/zone", "堡垒机位于区域 core，该区域不是管理区。",
         "The bastion sits in zone core, which is not a management zone."),
        ("/hosts/0/zone", "bastion 主机 b1 位于非管理区 core，应放入管理区。",
         "bastion host b1 is in zone core, which is not a management zone; move it into one."),
        ("/hosts/1/zone", "log_audit_server 主机 l1 位于非管理区 core，应放入管理区。",
         "log_audit_server host l1 is in zone core, which is not a management zone; move it "
         "into one."),
    ]
    spec["bastion"]["enabled"] = False
    assert [p for p, _, _ in run("management_zone_layout", spec)] == ["/hosts/0/zone",
                                                                      "/hosts/1/zone"]


def test_carrier_check_in_full() -> None:
    spec = {"layout": "hybrid", "links": [{"carrier": " "}, {"name": "no carrier"}]}
    assert run("links_distinct_carriers", spec) == [(
        "/links/1/carrier",
        "所有专线来自同一运营商，单一运营商故障会同时中断全部线路；至少两条专线应来自不同运营商。"
        "请把其中一条换成另一家运营商的线路；城市或省级分公司、法定名称、繁体写法、简称与"
        "网络名（如 杭州电信、中国电信股份有限公司浙江分公司、中國電信、CT、CN2）都"
        "算该运营商本身，歌华有线、东方有线、长城宽带、鹏博士、华数各算一家。",
        "Every dedicated line comes from the same carrier, so one carrier outage cuts them all; "
        "at least two lines must come from different carriers. "
        "Take one of the lines from another carrier; a city or "
        "provincial branch, legal name, traditional spelling, short "
        "name or network name (杭州电信, 中国电信股份有限公司浙江分公司, 中國電信, CT, CN2) "
        "is the carrier itself, while 歌华有线, 东方有线, 长城宽带, 鹏博士 and 华数 "
        "each count as a carrier of their own.")]
    assert not run("links_distinct_carriers", {"layout": "hybrid", "links": [{"carrier": "a"}]})


def test_ssh_rule_looks_at_tcp_22_only() -> None:
    zones = [{"name": "core", "ingress": [{"from": "office", "protocol": "udp", "ports": [22]},
                                          {"from": "office", "ports": [2222]},
                                          {"from": "office", "ports": [22]}]},
             {"name": "office", "kind": "office"}]
    assert [p for p, _, _ in run("ssh_only_from_management", {"zones": zones})] == [
        "/zones/0/ingress/2/from"]


def test_account_checks_in_full() -> None:
    admins = [{"name": 7}, {"name": "wang", "ssh_public_key": "ssh-ed25519 AAAA"},
              {"name": "li", "ssh_public_key": "ssh-ed25519 AAAA li@host"},
              {"name": "wang", "ssh_public_key": "AAAA"}, {"name": "zhao", "ssh_public_key": "AAAA"}]
    assert run("admin_keys_not_shared", {"admins": admins}) == [(
        "/admins/2/ssh_public_key",
        "管理员 li 与 /admins/1 使用同一 SSH 公钥，相当于共享账户；每人必须使用自己的密钥。",
        "Administrator li uses the same SSH key as /admins/1, which amounts to a shared account; "
        "each person needs their own key.")]


def test_zones_well_formed_in_full() -> None:
    spec = {
        "zones": [{"name": "a", "cidr": "10.0.0.0/24"}, {"name": "b", "cidr": "bad"},
                  {"name": "a", "cidr": "10.1.0.0/24"}, {"name": "c", "cidr": "10.0.0.128/25"}],
        "hosts": [{"name": "h0", "zone": "nowhere"}, {"name": "h1", "zone": 5},
                  {"name": "h2", "zone": "a", "address": "10.9.0.1"},
                  {"name": "h3", "zone": "a", "address": "10.0.0.300"},
                  {"name": "h4", "zone": "c", "address": "10.0.0.200"}],
    }
    assert run("zones_well_formed", spec) == [
        ("/zones/1/cidr", "区域 b 的地址段 bad 无法解析，无法检查重叠与主机归属。",
         "Zone b's CIDR bad cannot be parsed, so overlap and host placement cannot be checked."),
        ("/zones/2/name", "区域名称 a 与 /zones/0 重复，区域名称必须唯一。",
         "Zone name a repeats /zones/0; zone names must be unique."),
        ("/zones/3/cidr", "区域 c 的地址段 10.0.0.128/25 与区域 a（/zones/0）的 10.0.0.0/24 重叠。",
         "Zone c's CIDR 10.0.0.128/25 overlaps 10.0.0.0/24 of zone a (/zones/0)."),
        ("/hosts/0/zone", "主机 h0 所属区域 nowhere 未在 zones 中定义。",
         "Host h0 is in zone nowhere, which zones does not define."),
        ("/hosts/1/zone", "主机 h1 所属区域 5 未在 zones 中定义。",
         "Host h1 is in zone 5, which zones does not define."),
        ("/hosts/2/address", "主机 h2 的地址 10.9.0.1 不在其区域 a 的地址段 10.0.0.0/24 内。",
         "Host h2 address 10.9.0.1 is outside its zone a (10.0.0.0/24)."),
        ("/hosts/3/address", "主机 h3 的地址 10.0.0.300 无法解析，无法检查其是否在区域内。",
         "Host h3 address 10.0.0.300 cannot be parsed, so whether it lies in its zone cannot be "
         "checked."),
    ]


def test_unparsable_networks_are_reported_not_skipped() -> None:
    """The input rules refuse such specs; a check that meets one anyway says so."""
    spec = {"zones": [{"name": "core", "kind": "core", "cidr": "10.20.00.0/22"}],
            "hosts": [{"name": "h", "zone": "core", "address": "10.20.00.5"}],
            "bastion": {"allowed_sources": ["10.40.00.0/20", "10.40.0.0/20"]}}
    assert [p for p, _, _ in run("zones_well_formed", spec)] == ["/zones/0/cidr", "/hosts/0/address"]
    assert [p for p, _, _ in run("admin_terminals_not_servers", spec)] == [
        "/bastion/allowed_sources/0"]


def test_flow_sources_and_log_servers_in_full() -> None:
    spec = {"zones": [{"name": "core", "ingress": [{"from": "internet"}, {"from": "ghost"}]}]}
    assert run("flows_known_zones", spec) == [(
        "/zones/0/ingress/1/from",
        "进入区域 core 的访问来源 ghost 不是已定义的区域，跨边界访问只能来自已知区域。",
        "A flow into zone core comes from ghost, which is not a defined zone; cross-boundary "
        "traffic must come from known zones.")]
    hosts = {"hosts": [{"roles": ["log_audit_server"]}, {"roles": "log_audit_server"}]}
    assert run("log_servers_redundant", hosts) == [(
        "/hosts",
        "仅有 1 台主机承担 log_audit_server 角色，审计记录没有第二份副本；至少需要两台日志审计服务器。",
        "Only 1 host(s) run the log_audit_server role, so audit records have no second copy; at "
        "least two log audit servers are needed.")]


def test_core_data_and_secrets_in_full() -> None:
    spec = {"layout": "hybrid",
            "object_storage": {"buckets": [{"name": "pacs", "data_class": "core",
                                            "placement": "cloud"}],
                               "encryption_key": "k"},
            "workloads": [{"name": "his", "data_class": "core", "placement": "cloud"},
                          {"name": "web", "data_class": "public", "placement": "cloud"}]}
    assert run("core_data_onprem", spec) == [
        ("/object_storage/buckets/0/placement",
         "存储桶 pacs 保存核心医疗数据，混合部署下核心数据只能放在院内（placement: onprem）。",
         "Bucket pacs holds core medical data; in a hybrid layout core data stays on-prem "
         "(placement: onprem)."),
        ("/workloads/0/placement",
         "应用 his 保存核心医疗数据，混合部署下核心数据只能放在院内（placement: onprem）。",
         "Workload his holds core medical data; in a hybrid layout core data stays on-prem "
         "(placement: onprem)."),
    ]
    assert run("no_plaintext_secrets", spec) == [(
        "/object_storage/encryption_key",
        "此处的密钥以明文写在环境描述中；请用 `pulumi config set --secret` 保存为 secure 值，"
        "或写 `generated: true` 由部署时生成。",
        "This secret stands in plaintext in the spec; store it with `pulumi config set --secret` "
        "(a secure value) or write `generated: true` to have it generated at deploy time.")]


def test_role_separation_reports_every_person_holding_two_roles() -> None:
    admins = [{"full_name": "王强", "role": "system"}, {"full_name": "李娜", "role": "audit"},
              {"full_name": " 王强 ", "role": "audit"}, {"full_name": "李娜", "role": "security"},
              {"full_name": "", "role": "system"}, {"full_name": "赵六", "role": 3}]
    hint_zh = ("请删除其中一个角色账户或改由另一人担任。汉字或拼音写法相同的姓名视为同一人（括号"
               "内的写法、汉字与拼音并写时的每一种写法都算，称谓和括号中的角色词不算，形似拉丁字"
               "母的西里尔、希腊字母按拉丁字母读），若确为不同的人，请为两人分别填写 "
               "employee_id（工号）。")
    hint_en = ("Remove one of the two role accounts or give the role to someone else. "
               "Names alike in hanzi or pinyin count as one person (each bracketed "
               "form and each half of a hanzi-and-Latin name counts, titles and role "
               "words in brackets do not, Cyrillic and Greek look-alikes read as Latin"
               " letters); if these are different people, give each their employee_id.")
    assert run("admin_roles_separated", {"admins": admins}) == [
        ("/admins/2/role",
         " 王强  同时担任 system（/admins/0，王强）和 audit 管理员，系统、审计、安全管理员须由不同的人担任；"
         + hint_zh,
         " 王强  holds both the system (/admins/0, 王强) and the audit administrator role; system, audit "
         "and security administrators must be different people. " + hint_en),
        ("/admins/3/role",
         "李娜 同时担任 audit（/admins/1，李娜）和 security 管理员，系统、审计、安全管理员须由不同的人担任；"
         + hint_zh,
         "李娜 holds both the audit (/admins/1, 李娜) and the security administrator role; system, "
         "audit and security administrators must be different people. " + hint_en),
    ]


def _roles_flagged(*admins: dict[str, Any]) -> list[str]:
    return [pointer for pointer, _, _ in run("admin_roles_separated", {"admins": list(admins)})]


def test_role_separation_same_employee_id_is_one_person_whatever_the_names() -> None:
    flagged = run("admin_roles_separated", {"admins": [
        {"full_name": "张伟", "employee_id": "H10023", "role": "system"},
        {"full_name": "赵敏", "employee_id": "h10023", "role": "audit"}]})
    assert flagged == [(
        "/admins/1/employee_id",
        "赵敏 与 /admins/0（张伟）的工号 h10023 相同，是同一人，同时担任 system 和 audit 管理员；"
        "系统、审计、安全管理员须由不同的人担任。",
        "赵敏 has the employee id h10023 of /admins/0 (张伟), so one person holds both the system and "
        "the audit administrator role; system, audit and security administrators must be different "
        "people.")]


def test_role_separation_different_employee_ids_are_different_people() -> None:
    for other in ("张伟", "章伟", "Zhang Wei", "zhangwei"):
        assert _roles_flagged({"full_name": "张伟", "employee_id": "H10023", "role": "system"},
                              {"full_name": other, "employee_id": "H20417", "role": "security"}) == []


def test_role_separation_names_decide_unless_both_entries_carry_an_employee_id() -> None:
    for ids in (("H10023", None), (None, "H10023"), (None, None), ("H10023", " ")):
        first = {"full_name": "张伟", "role": "system", "employee_id": ids[0]}
        second = {"full_name": "Zhang Wei", "role": "audit", "employee_id": ids[1]}
        assert _roles_flagged(first, second) == ["/admins/1/role"], ids


def test_role_separation_ambiguous_entry_is_checked_against_every_earlier_one() -> None:
    # The entry without an employee id may be either 张伟; one of them holds another role.
    assert _roles_flagged({"full_name": "张伟", "employee_id": "A1", "role": "system"},
                          {"full_name": "张伟", "employee_id": "A2", "role": "audit"},
                          {"full_name": "Zhang Wei", "role": "system"}) == ["/admins/2/role"]


def test_role_separation_same_role_twice_and_missing_names_are_not_findings() -> None:
    assert _roles_flagged({"full_name": "张伟", "role": "system"},
                          {"full_name": "Zhang Wei", "role": "system"},
                          {"name": "zhangwei", "role": "audit"},
                          {"full_name": "  ", "role": "security"}) == []
