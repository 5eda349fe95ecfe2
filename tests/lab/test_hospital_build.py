"""A whole hospital from one spec: Pulumi.onprem-lab.yaml booted as a lab, every role applied by
playbooks/site.yml on the inventory ``mlps synth`` writes, a second run that changes nothing,
playbooks/verify.yml, and ``mlps report`` over spec, plan and host evidence.

It takes about 20 minutes on 2 cores, so it is not part of the default run (``whole_build`` is
deselected by tests/conftest.py unless -m names it): ``pytest -m whole_build``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlps.ansible_run import PlaybookRun, run_playbook
from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory
from mlps.spec import load_spec
from tests.roles.baseline_lab import failing

pytestmark = [pytest.mark.lab, pytest.mark.hospital, pytest.mark.whole_build]
ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "Pulumi.onprem-lab.yaml"
BIN = Path(sys.executable).parent
SITE = ROOT / "playbooks" / "site.yml"
VERIFY = ROOT / "playbooks" / "verify.yml"
EVERY_HOST = ("baseline", "log_forwarder")


def spec() -> dict[str, Any]:
    return load_spec(SPEC).effective


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hospital")


@pytest.fixture(scope="module")
def built(lab_factory: LabFactory, work: Path) -> tuple[Lab, list[PlaybookRun]]:
    """The lab after two site.yml runs and one verify.yml run (evidence in work/evidence)."""
    names = [h["name"] for h in spec()["hosts"]]
    subprocess.run([str(BIN / "mlps"), "pki", "init", str(work / "pki"),
                    *[a for n in names for a in ("--name", n)]], check=True, capture_output=True)
    lab = lab_factory("mlps-t-hosp", spec=SPEC)
    env = {"MLPS_PKI_DIR": str(work / "pki"), "ANSIBLE_FORKS": str(len(names))}
    evidence = {"evidence_dir": str(work / "evidence")}
    runs = [run_playbook(SITE, lab.inventory_path, extra_vars=evidence, env=env) for _ in range(2)]
    runs.append(run_playbook(VERIFY, lab.inventory_path, extra_vars=evidence, env=env))
    return lab, runs


def test_site_builds_every_host_then_a_second_run_changes_nothing(
        built: tuple[Lab, list[PlaybookRun]]) -> None:
    _lab, (first, second, _verify) = built
    assert first.ok, first.output[-4000:]
    assert set(first.stats) == {h["name"] for h in spec()["hosts"]}
    assert second.ok, second.output[-4000:]
    assert second.changed == 0, second.changed_tasks()


def test_every_host_has_evidence_from_each_of_its_roles(
        built: tuple[Lab, list[PlaybookRun]], work: Path) -> None:
    verify = built[1][2]
    assert verify.ok, verify.output[-4000:]
    for host in spec()["hosts"]:
        want = {*EVERY_HOST, *host["roles"]}
        found = {p.stem for p in (work / "evidence" / host["name"]).glob("*.json")}
        assert want <= found, f"{host['name']}: no evidence from {sorted(want - found)}"


def test_the_report_over_spec_plan_and_hosts_has_no_failing_control(
        built: tuple[Lab, list[PlaybookRun]], work: Path) -> None:
    assert built[1][2].ok
    out = work / "report"
    proc = subprocess.run(
        [str(BIN / "mlps"), "report", "--spec", str(SPEC), "--synth", "--evidence",
         str(work / "evidence"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]
    (env,) = summary["environments"]
    assert env["checkpoints"] == ["spec", "plan", "host"]
    assert env["controls"]["fail"] == 0
    assert env["controls"]["pass"] > 0


def test_records_from_every_host_reach_both_audit_servers(
        built: tuple[Lab, list[PlaybookRun]]) -> None:
    lab = built[0]
    hosts = {h["name"] for h in spec()["hosts"]}
    servers = [h["name"] for h in spec()["hosts"] if "log_audit_server" in h["roles"]]
    assert len(servers) == 2
    for server in servers:
        filed = set(lab.run(server, "ls /var/log/mlps-audit").stdout.split())
        assert hosts <= filed, f"{server}: nothing from {sorted(hosts - filed)}"


def test_every_administrator_exists_on_every_host_in_its_role_group(
        built: tuple[Lab, list[PlaybookRun]]) -> None:
    lab = built[0]
    groups = {"system": "sysadm", "audit": "audadm", "security": "secadm"}
    for host in spec()["hosts"]:
        for admin in spec()["admins"]:
            ids = lab.run(host["name"], f"id -gn {admin['name']}").stdout.strip()
            assert ids == groups[admin["role"]], f"{host['name']}: {admin['name']} in {ids}"


def test_ssh_is_open_from_the_bastion_and_closed_from_anywhere_else(
        built: tuple[Lab, list[PlaybookRun]]) -> None:
    lab = built[0]
    target = next(h["address"] for h in spec()["hosts"] if h["name"] == "k8s-cp-1")
    probe = f"timeout 5 bash -c 'exec 3<>/dev/tcp/{target}/22'"
    assert lab.run("bastion-1", probe, check=False).returncode == 0
    # The router's own address in the core zone is no bastion and the router's output is open:
    # only the target's firewall can drop it. (A probe from another zone's host would be stopped
    # by that host's own default-deny output and prove nothing about the target.)
    assert lab.run("zone-router", probe, check=False).returncode != 0


def _zone_cidr(zone: str) -> str:
    return next(str(z["cidr"]) for z in spec()["zones"] if z["name"] == zone)


def _address(name: str) -> str:
    return next(str(h["address"]) for h in spec()["hosts"] if h["name"] == name)


def _connects(lab: Lab, target: str, port: int, source_zone: str) -> bool:
    """A TCP connection to ``target``:``port`` from the router's own address in ``source_zone``
    (no host of that zone exists; the router forwards without filtering and its output is open,
    so only the target's firewalls decide)."""
    probe = (
        "import ipaddress, socket, subprocess\n"
        f"net = ipaddress.ip_network('{_zone_cidr(source_zone)}')\n"
        "shown = subprocess.run(['ip', '-4', '-o', 'addr', 'show'], capture_output=True, text=True).stdout\n"
        "mine = [line.split()[3].split('/')[0] for line in shown.splitlines()]\n"
        "src = next(a for a in mine if ipaddress.ip_address(a) in net)\n"
        f"socket.create_connection(('{target}', {port}), timeout=5, source_address=(src, 0))\n"
    )
    return lab.run("zone-router", "python3 -", check=False, input=probe).returncode == 0


def test_s3_is_open_to_the_pacs_zone_and_closed_to_the_office(
        built: tuple[Lab, list[PlaybookRun]]) -> None:
    """The spec's flow core -> storage 8333 passes the client's output chain, the storage host's
    input chain and the object storage's own table; no other zone gets through."""
    lab = built[0]
    s3 = _address("s3-1")
    direct = f"timeout 5 bash -c 'exec 3<>/dev/tcp/{s3}/8333'"
    assert lab.run("k8s-node-1", direct, check=False).returncode == 0
    assert _connects(lab, s3, 8333, "core")
    assert not _connects(lab, s3, 8333, "office")
    assert not _connects(lab, s3, 8333, "dmz")


def test_from_the_office_only_the_bastion_takes_ssh(built: tuple[Lab, list[PlaybookRun]]) -> None:
    lab = built[0]
    assert _connects(lab, _address("bastion-1"), 22, "office")
    for host in ("k8s-cp-1", "s3-1", "logaudit-1"):
        assert not _connects(lab, _address(host), 22, "office"), host


def test_a_kubernetes_peer_cannot_bypass_the_bastion(built: tuple[Lab, list[PlaybookRun]]) -> None:
    """Kubernetes members admit each other on every port, but SSH is dropped before that rule:
    a compromised node cannot open SSH to a control-plane host."""
    lab = built[0]
    target = _address("k8s-cp-1")
    probe = f"timeout 5 bash -c 'exec 3<>/dev/tcp/{target}/22'"
    assert lab.run("k8s-node-1", probe, check=False).returncode != 0


def _breaks() -> list[tuple[str, str, str, str, str]]:
    """One thing broken per role, on a different host each: (host, role, command, control, words
    of the failing check). The hosts are not repaired: this runs last on a throwaway lab."""
    admin = spec()["admins"][0]["name"]
    audit_conf = "/etc/rsyslog.d/50-mlps-audit-server.conf"
    return [
        ("k8s-node-2", "baseline",
         "sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config",
         "CES-AUTH-05", "sshd passwordauthentication"),
        ("k8s-cp-2", "log_forwarder",
         "printf 'this is no rsyslog statement\\n' > /etc/rsyslog.d/99-mlps-broken.conf",
         "CES-AUDIT-04", "rsyslogd -N1 accepts the whole configuration"),
        ("bastion-1", "bastion", f"chmod 0644 /var/lib/mlps-bastion/totp/{admin}",
         "CES-AUTH-06", f"{admin}: TOTP secret enrolled, root-only"),
        ("logaudit-2", "log_audit_server",
         f"sed -i 's|/%$.mlps_peer:::secpath-replace%/|/%HOSTNAME:::secpath-replace%/|' {audit_conf}",
         "CES-AUDIT-03", "claim"),
        ("s3-2", "object_storage", "chmod 0644 /etc/seaweedfs/security.toml", "CES-ACL-05", "security.toml"),
        ("k8s-node-1", "k8s_node",
         "sed -i '/anonymous:/{n;s/enabled: false/enabled: true/}' /etc/kubernetes/kubelet-config.yaml",
         "K8S-KUBELET-01", "kubelet config: anonymous authentication off"),
        ("k8s-cp-1", "k8s_control_plane", "chmod 0644 /etc/kubernetes/encryption/config.yaml",
         "CES-CONF-03", "EncryptionConfiguration owned by root, mode 0600"),
    ]


def test_one_thing_broken_per_role_is_named_by_verify_and_the_report(
        built: tuple[Lab, list[PlaybookRun]], work: Path) -> None:
    """Every role's verify names what was broken on its host and nothing else fails anywhere;
    the report fails exactly those controls (exit 1)."""
    lab = built[0]
    breaks = _breaks()
    roles = {r for h in spec()["hosts"] for r in h["roles"]} | set(EVERY_HOST)
    assert {role for _, role, *_ in breaks} == roles
    for host, _role, command, *_ in breaks:
        lab.run(host, command)
    evidence = work / "evidence-broken"
    env = {"MLPS_PKI_DIR": str(work / "pki"), "ANSIBLE_FORKS": str(len(spec()["hosts"]))}
    run = run_playbook(VERIFY, lab.inventory_path, extra_vars={"evidence_dir": str(evidence)}, env=env)
    assert run.ok, run.output[-4000:]
    found: dict[tuple[str, str, str], list[str]] = {}
    for doc_path in evidence.glob("*/*.json"):
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
        for control, check in failing(doc):
            found.setdefault((doc["host"], doc["role"], control), []).append(check)
    assert set(found) == {(h, role, c) for h, role, _, c, _ in breaks}, found
    for host, role, _, control, words in breaks:
        assert any(words in check for check in found[(host, role, control)]), found[(host, role, control)]
    out = work / "report-broken"
    proc = subprocess.run(
        [str(BIN / "mlps"), "report", "--spec", str(SPEC), "--synth", "--evidence", str(evidence),
         "--out", str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-2000:]
    controls = json.loads((out / "report.json").read_text(encoding="utf-8"))["controls"]
    assert {c["id"] for c in controls if c["status"] == "fail"} == {c for *_, c, _ in breaks}
