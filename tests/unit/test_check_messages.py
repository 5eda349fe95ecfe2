"""Every finding of every named check, word for word: the pointer and the zh/en messages a user
reads, one fixture per check (two where a check has findings that exclude each other)."""

from __future__ import annotations

from typing import Any

import pytest

from mlps.checks import REGISTRY

Case = tuple[str, dict[str, Any], list[tuple[str, str, str]]]

PIPL_ZH = ("病历与医学影像属《个人信息保护法》第二十八条规定的敏感个人信息，按核心数据处理，"
           "与 data_class 标签无关")
PIPL_EN = ("medical records and images are sensitive personal information under the Personal "
           "Information Protection Law art. 28, so it is core data whatever its data_class label")
RECORDS_ZH = "《医疗机构病历管理规定》（2013年）第二十九条"
RECORDS_EN = "Medical Record Management Rules for Medical Institutions (2013) art. 29"
PINNED_ELSEWHERE = {"admin_roles_separated"}
"""Checks whose every finding test_checks.py pins word for word."""

CASES: list[Case] = [
    ("zones_well_formed", {
        "zones": [{"name": "core", "cidr": "10.20.0.0/24"},
                  {"name": "core", "cidr": "10.30.0.0/24"},
                  {"name": "pacs", "cidr": "10.20.0.128/25"}],
        "hosts": [{"name": "his-1", "zone": "ghost", "address": "10.20.0.5"},
                  {"name": "his-2", "zone": "core", "address": "10.21.0.5"}],
    }, [
        ("/zones/1/name", "区域名称 core 与 /zones/0 重复，区域名称必须唯一。",
         "Zone name core repeats /zones/0; zone names must be unique."),
        ("/zones/2/cidr", "区域 pacs 的地址段 10.20.0.128/25 与区域 core（/zones/0）的 10.20.0.0/24 重叠。",
         "Zone pacs's CIDR 10.20.0.128/25 overlaps 10.20.0.0/24 of zone core (/zones/0)."),
        ("/hosts/0/zone", "主机 his-1 所属区域 ghost 未在 zones 中定义。",
         "Host his-1 is in zone ghost, which zones does not define."),
        ("/hosts/1/address", "主机 his-2 的地址 10.21.0.5 不在其区域 core 的地址段 10.20.0.0/24 内。",
         "Host his-2 address 10.21.0.5 is outside its zone core (10.20.0.0/24)."),
    ]),
    ("hosts_distinct", {
        "hosts": [{"name": "his-1", "address": "10.20.0.5"},
                  {"name": "HIS-1", "address": "10.20.0.6"},
                  {"name": "his-3", "address": "10.20.0.5"}],
    }, [
        ("/hosts/1/name",
         "主机名 HIS-1（/hosts/1/name）与 /hosts/0/name 相同（忽略大小写、空白与不可见字符后）；"
         "为每台主机起唯一的名称，或删除重复的条目。",
         "Host name HIS-1 (/hosts/1/name) is the same as /hosts/0/name (ignoring case, spaces and "
         "invisible characters); give each host its own name, or remove the repeated entry."),
        ("/hosts/2/address",
         "主机 his-3 的地址 10.20.0.5（/hosts/2/address）与 /hosts/0/address 相同，两条记录是同一台机器；"
         "为它分配区域内未被占用的地址，或删除重复的条目。",
         "Host his-3 address 10.20.0.5 (/hosts/2/address) is the same as /hosts/0/address, so both "
         "entries are one machine; give it a free address in its zone, or remove the repeated entry."),
    ]),
    ("flows_known_zones", {
        "zones": [{"name": "core", "ingress": [{"from": "internet"}, {"from": "ghost"}]}],
    }, [
        ("/zones/0/ingress/1/from",
         "进入区域 core 的访问来源 ghost 不是已定义的区域，跨边界访问只能来自已知区域。",
         "A flow into zone core comes from ghost, which is not a defined zone; cross-boundary "
         "traffic must come from known zones."),
    ]),
    ("flows_minimal", {
        "zones": [{"name": "core", "ingress": [
            {"from": "core", "ports": [5432]},
            {"from": "office", "protocol": "udp", "ports": [8443, 443]},
            {"from": "office", "protocol": "udp", "ports": [443, 9000, 8443]},
        ]}],
    }, [
        ("/zones/0/ingress/0/from",
         "区域 core 的入站规则允许来自自身的流量，区域内部通信无需边界规则，应删除。",
         "Zone core admits traffic from itself; traffic inside a zone needs no boundary rule, "
         "remove it."),
        ("/zones/0/ingress/2",
         "该规则与 /zones/0/ingress/1 重复（来源 office，udp 端口 [443, 8443]），应合并或删除多余规则。",
         "This flow repeats /zones/0/ingress/1 (from office, udp ports [443, 8443]); merge or "
         "remove the redundant rule."),
    ]),
    ("ssh_only_from_management", {
        "zones": [{"name": "core", "ingress": [{"from": "office", "ports": [22]}]},
                  {"name": "office", "kind": "office"}],
    }, [
        ("/zones/0/ingress/0/from",
         "区域 core 允许来自 office 的 SSH；管理流量只能来自管理区"
         "（堡垒机所在区域另可来自 bastion.allowed_sources 内的网络）。",
         "Zone core admits SSH from office; management traffic may only come from a management "
         "zone (the bastion's zone also from networks inside bastion.allowed_sources)."),
    ]),
    ("links_distinct_carriers", {
        "layout": "hybrid",
        "links": [{"carrier": "China Telecom"}, {"carrier": "China Telecom"}],
    }, [
        ("/links/1/carrier",
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
         "each count as a carrier of their own."),
    ]),
    ("backup_line_bandwidth", {
        "links": [
            {"name": "ct", "role": "primary", "bandwidth_mbps": {"up": 100, "down": 200}},
            {"name": "cu", "role": "backup", "bandwidth_mbps": {"up": 49, "down": 99}},
        ],
    }, [
        ("/links/1/bandwidth_mbps/up",
         "备用线路 cu 的带宽 49 Mbit/s 不足主线路 100 Mbit/s 的一半，主线路故障时无法承载高峰业务。",
         "Backup line cu has 49 Mbit/s, less than half of the primary's 100 Mbit/s; it cannot "
         "carry peak load when the primary fails."),
        ("/links/1/bandwidth_mbps/down",
         "备用线路 cu 的带宽 99 Mbit/s 不足主线路 200 Mbit/s 的一半，主线路故障时无法承载高峰业务。",
         "Backup line cu has 99 Mbit/s, less than half of the primary's 200 Mbit/s; it cannot "
         "carry peak load when the primary fails."),
    ]),
    ("bfd_detection_time", {"links": [{"name": "ct", "bfd": {"interval_ms": 350}}]}, [
        ("/links/0/bfd", "线路 ct 的 BFD 检测时间 350×3=1050 ms，超过 1000 ms。",
         "Line ct BFD detection time 350x3=1050 ms exceeds 1000 ms."),
    ]),
    ("flows_minimal", {  # protocol tcp by default; a later zone still checked after a repeat
        "zones": [{"name": "dmz"},
                  {"name": "core", "ingress": ["junk", {"from": "office", "ports": [443]},
                                               {"from": "office", "protocol": "tcp", "ports": [443]}]},
                  {"name": "web", "ingress": [{"from": "web"}]}],
    }, [
        ("/zones/1/ingress/2",
         "该规则与 /zones/1/ingress/1 重复（来源 office，tcp 端口 [443]），应合并或删除多余规则。",
         "This flow repeats /zones/1/ingress/1 (from office, tcp ports [443]); merge or remove the "
         "redundant rule."),
        ("/zones/2/ingress/0/from",
         "区域 web 的入站规则允许来自自身的流量，区域内部通信无需边界规则，应删除。",
         "Zone web admits traffic from itself; traffic inside a zone needs no boundary rule, "
         "remove it."),
    ]),
    ("ssh_only_from_management", {  # flows after a skipped or allowed one are still checked
        "zones": [{"name": "mgmt", "kind": "management", "cidr": "10.10.0.0/24", "ingress": [
            {"from": "office", "ports": [443]}, {"from": "admins", "ports": [22]},
            {"from": "ops", "ports": [22]}, {"from": "ghost", "ports": [22]}]},
            {"name": "admins", "kind": "office", "cidr": "10.40.1.0/24"},
            {"name": "ops", "kind": "management"}],
        "bastion": {"zone": "mgmt", "allowed_sources": ["10.40.0.0/16"]},
    }, [
        ("/zones/0/ingress/3/from",
         "区域 mgmt 允许来自 ghost 的 SSH；管理流量只能来自管理区"
         "（堡垒机所在区域另可来自 bastion.allowed_sources 内的网络）。",
         "Zone mgmt admits SSH from ghost; management traffic may only come from a management "
         "zone (the bastion's zone also from networks inside bastion.allowed_sources)."),
    ]),
    ("backup_line_bandwidth", {  # no primary rate upstream: downstream is still compared
        "links": [{"name": "ct", "role": "primary", "bandwidth_mbps": {"down": 200}},
                  {"name": "cu", "role": "backup", "bandwidth_mbps": {"up": 1, "down": 99}}],
    }, [
        ("/links/1/bandwidth_mbps/down",
         "备用线路 cu 的带宽 99 Mbit/s 不足主线路 200 Mbit/s 的一半，主线路故障时无法承载高峰业务。",
         "Backup line cu has 99 Mbit/s, less than half of the primary's 200 Mbit/s; it cannot "
         "carry peak load when the primary fails."),
    ]),
    ("admin_keys_not_shared", {
        "admins": [{"name": "zhang", "ssh_public_key": "ssh-ed25519 AAAA zhang@pc"},
                   {"name": "li", "ssh_public_key": "ssh-ed25519 AAAA li@pc"}],
    }, [
        ("/admins/1/ssh_public_key",
         "管理员 li 与 /admins/0 使用同一 SSH 公钥，相当于共享账户；每人必须使用自己的密钥。",
         "Administrator li uses the same SSH key as /admins/0, which amounts to a shared account; "
         "each person needs their own key."),
    ]),
    ("admin_paths_via_bastion", {
        "bastion": {"zone": "mgmt"},
        "zones": [
            {"name": "mgmt", "kind": "management"},
            {"name": "office", "kind": "office"},
            {"name": "core", "kind": "core",
             "ingress": [{"from": "office", "ports": [22, "5900-5901"]}]},
            {"name": "dmz", "kind": "dmz",
             "ingress": [{"from": "office", "protocol": "udp", "ports": [161]}]},
        ],
    }, [
        ("/zones/2/ingress/0/from",
         "core 区域 core 向 office 开放了管理端口 SSH (tcp 22), VNC (tcp 5900-5910)；"
         "核心区与存储区的管理访问只能来自堡垒机所在区域 mgmt。删除该规则，改经堡垒机管理。",
         "Zone core (core) opens administrative ports SSH (tcp 22), VNC (tcp 5900-5910) to office; "
         "administrative access to core and storage zones comes only from the bastion's zone mgmt. "
         "Remove this flow and administer through the bastion."),
        ("/zones/3/ingress/0/from",
         "区域 dmz 向非管理区 office 开放了管理端口 SNMP (udp 161-162)；管理流量只能来自管理区"
         "（堡垒机所在区域另可接受来自 bastion.allowed_sources 内网络的 SSH 22）。"
         "删除该规则，改经堡垒机管理。",
         "Zone dmz opens administrative ports SNMP (udp 161-162) to office, which is not a "
         "management zone; management traffic comes only from management zones (the bastion's "
         "zone also accepts SSH on 22 from networks inside bastion.allowed_sources). Remove this "
         "flow and administer through the bastion."),
    ]),
    ("admin_terminals_not_servers", {
        "bastion": {"allowed_sources": ["10.0.0.0/8"]},
        "zones": [{"name": "core", "kind": "core", "cidr": "10.20.0.0/24"}],
    }, [
        ("/bastion/allowed_sources/0",
         "bastion.allowed_sources 中的 10.0.0.0/8 覆盖了服务器区域 core（core，10.20.0.0/24）；"
         "管理终端只能位于办公区或管理区，应改为管理员终端所在网段。",
         "bastion.allowed_sources entry 10.0.0.0/8 covers server zone core (core, 10.20.0.0/24); "
         "administrator terminals live only in office or management networks: narrow it to the "
         "administrators' network."),
    ]),
    ("lines_carry_daily_volume", {
        "backup": {"window_hours": 4},
        "object_storage": {"buckets": [
            {"name": "pacs", "replication": {"daily_gb": 50, "direction": "down"}}]},
        "links": [{"name": "cu", "bandwidth_mbps": {"up": 100, "down": 39}}],
    }, [
        ("/links/0/bandwidth_mbps/down",
         "线路 cu 每天需下行传输 50 GB，按其 39 Mbit/s 需 2.85 小时，超过 4 小时备份窗口的 70%（2.80 小时）；"
         "应把下行带宽提高到至少 40 Mbit/s、延长 backup.window_hours，或减少跨线路复制的数据量。",
         "Line cu must carry 50 GB downstream a day: 2.85 h at its 39 Mbit/s, more than 70% of the "
         "4 h backup window (2.80 h). Raise its downstream bandwidth to at least 40 Mbit/s, "
         "lengthen backup.window_hours, or replicate less across the lines."),
    ]),
    ("core_data_onprem", {
        "layout": "hybrid",
        "zones": [{"name": "cloud-app", "placement": "cloud"}],
        "object_storage": {"buckets": [
            {"name": "archive", "data_class": "core", "placement": "cloud"}]},
        "workloads": [
            {"name": "viewer", "kind": "pacs", "data_class": "internal", "placement": "cloud"},
            {"name": "emr-web", "placement": "onprem", "zone": "cloud-app"}],
    }, [
        ("/object_storage/buckets/0/placement",
         "存储桶 archive 保存核心医疗数据，混合部署下核心数据只能放在院内（placement: onprem）。",
         "Bucket archive holds core medical data; in a hybrid layout core data stays on-prem "
         "(placement: onprem)."),
        ("/workloads/0/placement",
         f"应用 viewer 保存核心医疗数据（kind pacs：{PIPL_ZH}），混合部署下核心数据只能放在院内"
         "（placement: onprem）。",
         f"Workload viewer holds core medical data (kind pacs: {PIPL_EN}); in a hybrid layout "
         "core data stays on-prem (placement: onprem)."),
        ("/workloads/1/zone",
         f"应用 emr-web 保存核心医疗数据（name emr-web：{PIPL_ZH}），写着 placement: onprem，"
         "却部署在云上区域 cloud-app：把 zone 改为院内的核心区。",
         f"Workload emr-web holds core medical data (name emr-web: {PIPL_EN}) and says placement: "
         "onprem but sits in cloud zone cloud-app: set zone to an on-prem core zone."),
    ]),
    ("core_workloads_inside", {
        "zones": [{"name": "dmz", "kind": "dmz",
                   "ingress": [{"from": "internet", "ports": [443]}]}],
        "workloads": [{"name": "portal", "data_class": "core", "zone": "dmz", "port": 8443}],
    }, [
        ("/workloads/0/zone",
         "应用 portal 保存核心医疗数据，却部署在 dmz 类区域 dmz：把 zone 改为 kind 为 core 或 storage "
         "的区域，对外服务放在 DMZ 中另一个不保存病历的应用里。",
         "Workload portal holds core medical data but is placed in dmz zone dmz: move it to a "
         "zone of kind core or storage and leave public services to a separate DMZ workload "
         "without records."),
        ("/zones/0/ingress/0",
         "区域 dmz 的这条入站规则让互联网直达保存核心医疗数据（病历、影像属《个人信息保护法》第二十八条"
         "规定的敏感个人信息）的应用 portal:8443：删除这条 from internet 的规则，"
         "或把这些应用移到不接受互联网流量的核心区。",
         "This ingress rule of zone dmz lets the internet reach portal:8443, holding core medical "
         "data (records and images are sensitive personal information under the Personal "
         "Information Protection Law art. 28): remove the from-internet rule or move the workloads "
         "to a core zone that takes no internet traffic."),
    ]),
    ("records_kept_long_enough", {
        "record_keeping": {"outpatient_years": 10, "inpatient_years": 20},
        "object_storage": {"buckets": [
            {"name": "scans", "data_class": "core", "object_lock": {"mode": "none"}},
            {"name": "dicom-store", "object_lock": {"retention_days": 3650}}]},
    }, [
        ("/record_keeping/outpatient_years",
         f"门（急）诊病历保存 10 年少于{RECORDS_ZH}规定的 15 年：把 record_keeping.outpatient_years "
         "设为 15 或以上（法定期限是下限）。",
         f"Keeping outpatient records 10 years is less than the 15 years of the {RECORDS_EN}: set "
         "record_keeping.outpatient_years to 15 or more (the law is the floor)."),
        ("/record_keeping/inpatient_years",
         f"住院病历保存 20 年少于{RECORDS_ZH}规定的 30 年：把 record_keeping.inpatient_years "
         "设为 30 或以上（法定期限是下限）。",
         f"Keeping inpatient records 20 years is less than the 30 years of the {RECORDS_EN}: set "
         "record_keeping.inpatient_years to 30 or more (the law is the floor)."),
        ("/object_storage/buckets/0/object_lock/mode",
         "存储桶 scans 保存病历或医学影像却没有对象锁定，可在保存期限内被删除：把 object_lock.mode 设为 "
         f"COMPLIANCE，retention_days 至少 10950（{RECORDS_ZH}）。",
         "Bucket scans holds medical records or images without an object lock, so they can be "
         "deleted within the keeping period: set object_lock.mode COMPLIANCE and retention_days "
         f"at least 10950 ({RECORDS_EN})."),
        ("/object_storage/buckets/1/object_lock/retention_days",
         f"存储桶 dicom-store 保存病历或医学影像（name dicom-store：{PIPL_ZH}），对象锁定只有 3650 天，"
         f"短于病历保存期限 10950 天：把 object_lock.retention_days 设为 10950 或以上（{RECORDS_ZH}）。",
         f"Bucket dicom-store holds medical records or images (name dicom-store: {PIPL_EN}) but "
         "locks them only 3650 days, less than the 10950-day record-keeping period: set "
         f"object_lock.retention_days to 10950 or more ({RECORDS_EN})."),
    ]),
    ("storage_hosts_distinct", {
        "object_storage": {"buckets": [{"name": "pacs"}]},
        "hosts": [{"name": "s3-1", "address": "10.30.0.1", "roles": ["object_storage"]},
                  {"name": "s3-2", "address": "10.30.0.2", "roles": ["object_storage"]},
                  {"name": "S3-1", "address": "10.30.0.3", "roles": ["object_storage"]}],
    }, [
        ("/hosts/2",
         "object_storage 主机 /hosts/2 与 /hosts/0 名称或地址相同，是同一台机器，不增加副本："
         "院内对象存储实际只有 2 台主机；为它配置独立的主机名和地址，"
         "使至少三台不同的主机承担 object_storage 角色。",
         "object_storage host /hosts/2 has the name or address of /hosts/0, so it is the same "
         "machine and adds no copy: on-prem object storage has only 2 distinct host(s); give it "
         "its own host name and address so that at least three distinct hosts carry the "
         "object_storage role."),
    ]),
    ("cloud_hosts_spread", {
        "layout": "cloud",
        "cloud": {"availability_zones": ["cn-shanghai-l", "cn-shanghai-m"]},
        "zones": [{"name": "mgmt", "placement": "cloud", "cidr": "172.20.0.0/24"}],
        "hosts": [{"name": "log-1", "zone": "mgmt", "address": "172.20.0.21", "roles": ["log_audit_server"]},
                  {"name": "log-2", "zone": "mgmt", "address": "172.20.0.22", "roles": ["log_audit_server"]}],
    }, [
        ("/hosts/1/address",
         "区域 mgmt 中承担 log_audit_server 的 2 台主机都在可用区 cn-shanghai-l，该可用区故障时全部失去；"
         "把 /hosts/1 的地址改到另一可用区的网段：172.20.0.128/25 (cn-shanghai-m)。",
         "the 2 log_audit_server hosts of zone mgmt all run in availability zone cn-shanghai-l, so one "
         "availability zone failing takes them all; give /hosts/1 an address in the range of another "
         "availability zone: 172.20.0.128/25 (cn-shanghai-m)."),
    ]),
    ("log_servers_redundant", {
        "hosts": [{"name": "log-1", "address": "10.10.0.20", "roles": ["log_audit_server"]},
                  {"name": "LOG-1", "address": "10.10.0.21", "roles": ["log_audit_server"]}],
    }, [
        ("/hosts/1",
         "日志审计服务器 LOG-1（10.10.0.21）与 /hosts/0 是同一台（名称或地址相同），不构成第二份副本；"
         "为它配置不同的主机名和地址。",
         "Log audit server LOG-1 (10.10.0.21) is the same server as /hosts/0 (same name or "
         "address), so it is no second copy; give it its own host name and address."),
        ("/hosts",
         "仅有 1 台主机承担 log_audit_server 角色，审计记录没有第二份副本；至少需要两台日志审计服务器。",
         "Only 1 host(s) run the log_audit_server role, so audit records have no second copy; at "
         "least two log audit servers are needed."),
    ]),
    ("log_transport_assured", {
        "log_audit": {"mutual_tls": False, "transport": "syslog-tls", "queue_size": 99999},
    }, [
        ("/log_audit/mutual_tls",
         "log_audit.mutual_tls 为 false：日志服务器不核验转发方证书，任何主机都能冒名写入审计记录；"
         "设置 mutual_tls: true。",
         "log_audit.mutual_tls is false: the log servers do not check the forwarders' "
         "certificates, so any host can write audit records under another's name; set "
         "mutual_tls: true."),
        ("/log_audit/queue_size",
         "syslog-tls 没有应用层确认，磁盘队列仅 99999 条，服务器不可达时会丢失审计记录；"
         "改用 transport: relp-tls，或把 queue_size 设为至少 100000。",
         "syslog-tls has no application-level acknowledgement and the disk-assisted queue holds "
         "only 99999 messages, so records are lost while a server is unreachable; use transport: "
         "relp-tls, or set queue_size to at least 100000."),
    ]),
    ("management_zone_layout", {"zones": [{"name": "core", "kind": "core"}]}, [
        ("/zones", "未定义 kind 为 management 的管理区，堡垒机与日志审计无处集中部署。",
         "No zone of kind management is defined; the bastion and log audit have no dedicated "
         "place."),
    ]),
    ("management_zone_layout", {
        "zones": [{"name": "mgmt", "kind": "management"}, {"name": "core", "kind": "core"}],
        "bastion": {"zone": "core"},
        "hosts": [{"name": "bastion-1", "zone": "core", "roles": ["bastion"]},
                  {"name": "log-1", "zone": "core", "roles": ["log_audit_server"]}],
    }, [
        ("/bastion/zone", "堡垒机位于区域 core，该区域不是管理区。",
         "The bastion sits in zone core, which is not a management zone."),
        ("/hosts/0/zone", "bastion 主机 bastion-1 位于非管理区 core，应放入管理区。",
         "bastion host bastion-1 is in zone core, which is not a management zone; move it into "
         "one."),
        ("/hosts/1/zone", "log_audit_server 主机 log-1 位于非管理区 core，应放入管理区。",
         "log_audit_server host log-1 is in zone core, which is not a management zone; move it "
         "into one."),
    ]),
    ("no_plaintext_secrets", {"links": [{"bgp": {"password": "hunter2"}}]}, [
        ("/links/0/bgp/password",
         "此处的密钥以明文写在环境描述中；请用 `pulumi config set --secret` 保存为 secure 值，"
         "或写 `generated: true` 由部署时生成。",
         "This secret stands in plaintext in the spec; store it with `pulumi config set --secret` "
         "(a secure value) or write `generated: true` to have it generated at deploy time."),
    ]),
]


def test_every_project_check_has_a_case() -> None:
    project = {n for n, fn in REGISTRY.items() if fn.__module__.startswith("mlps.checks.")}
    assert {name for name, _, _ in CASES} == project - PINNED_ELSEWHERE


@pytest.mark.parametrize(("name", "spec", "expected"), CASES,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)])
def test_findings_word_for_word(name: str, spec: dict[str, Any],
                                expected: list[tuple[str, str, str]]) -> None:
    assert list(REGISTRY[name](spec, 3)) == expected


@pytest.mark.parametrize("key", ["up", "down"])
def test_backup_line_at_half_the_primary_passes_one_below_fails(key: str) -> None:
    def spec(backup: int) -> dict[str, Any]:
        rates = {"up": 100, "down": 100}
        return {"links": [
            {"name": "ct", "role": "primary", "bandwidth_mbps": {**rates, key: 400}},
            {"name": "cu", "role": "backup", "bandwidth_mbps": {**rates, key: backup}},
        ]}

    check = REGISTRY["backup_line_bandwidth"]
    assert list(check(spec(200), 3)) == []
    assert [p for p, _, _ in check(spec(199), 3)] == [f"/links/1/bandwidth_mbps/{key}"]


def test_daily_volume_just_inside_the_window_passes() -> None:
    spec = {
        "backup": {"window_hours": 4},
        "object_storage": {"buckets": [
            {"name": "pacs", "replication": {"daily_gb": 50, "direction": "down"}}]},
        "links": [{"name": "cu", "bandwidth_mbps": {"up": 100, "down": 40}}],
    }
    assert list(REGISTRY["lines_carry_daily_volume"](spec, 3)) == []
