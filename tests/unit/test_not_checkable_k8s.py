"""Kubernetes controls that only a running cluster can show never pass without one.

The judge is k8s_control_plane's own (templates/encryption-summary.j2 and evidence.json.j2),
run by Ansible (tests/unit/playbooks/k8s_judge.yml) on canned observations, the way kube-bench
tests its checks on canned command output: what the role's read tasks would register on a host
with no cluster, with a one-node cluster, with a three-node cluster and with an etcd started
without peer client certificates. The configuration files in those observations are the ones
the role renders (tests/roles/playbooks/k8s_render.yml). The evidence then goes through
`mlps report`, and every format it writes (text, JSON, SARIF, JUnit, HTML) is read back.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import mlps.cli.commands  # noqa: F401  (registers the sub-commands)
from mlps.ansible_run import run_playbook
from mlps.cli import app
from stacks.components.audit_policy import render_audit_policy

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "tests" / "roles" / "playbooks" / "k8s_render.yml"
JUDGE = ROOT / "tests" / "unit" / "playbooks" / "k8s_judge.yml"
SPEC = ROOT / "Pulumi.hybrid-prod.yaml"
LIVE = ("K8S-HA-01", "K8S-ETCD-01", "CES-CONF-03")  # each has a check only a running cluster shows
NO_CLUSTER = "no cluster on this host"
ETCD = "/etc/kubernetes/manifests/etcd.yaml"
APISERVER = "/etc/kubernetes/manifests/kube-apiserver.yaml"
RENDER_INVENTORY = """all:
  children:
    k8s_control_plane:
      hosts:
        cp1: {ansible_host: 10.20.1.11}
        cp2: {ansible_host: 10.20.1.12}
        cp3: {ansible_host: 10.20.1.13}
"""
# case -> (control-plane hosts in its group, whether a cluster runs, etcd flags dropped)
CASES: dict[str, tuple[int, bool, tuple[str, ...]]] = {
    "nocluster": (3, False, ()),
    "one": (1, True, ()),
    "three": (3, True, ()),
    "peerless": (3, True, ("--peer-client-cert-auth=true",)),
}
Doc = dict[str, Any]


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode()


def modes(running: bool) -> list[str]:
    """What the role's stat task prints on a host the role configured (kubectl only with a cluster)."""
    return [
        "/etc/kubernetes/audit/policy.yaml root root 600",
        "/var/log/kubernetes/audit root adm 750",
        "/var/log/kubernetes/audit/audit.log root adm 640",
        "/etc/kubernetes/encryption/config.yaml root root 600",
        "/etc/kubernetes/admission/config.yaml root root 600",
        "/var/lib/etcd root root 700",
        "/etc/kubernetes/kubeadm-config.yaml root root 600",
        "timer enabled",
        f"kubectl {'yes' if running else 'no'}",
    ]


def etcd_manifest(dropped: tuple[str, ...]) -> str:
    command = ["etcd", "--client-cert-auth=true", "--peer-client-cert-auth=true",
               "--listen-client-urls=https://127.0.0.1:2379,https://10.20.1.11:2379",
               "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
               "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt"]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
        {"name": "etcd", "command": [c for c in command if c not in dropped]}]}})


def apiserver_manifest() -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
        {"name": "kube-apiserver", "command": [
            "kube-apiserver", "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
            "--audit-log-path=/var/log/kubernetes/audit/audit.log",
            "--encryption-provider-config=/etc/kubernetes/encryption/config.yaml"]}]}})


def observations(rendered: dict[str, str], nodes: int, running: bool,
                 dropped: tuple[str, ...]) -> Doc:
    """The variables the role's read tasks register, for one case."""
    files = {"/etc/kubernetes/audit/policy.yaml": rendered["audit-policy.yaml"],
             "/etc/kubernetes/admission/config.yaml": rendered["admission-config.yaml"],
             "/etc/kubernetes/kubeadm-config.yaml": rendered["kubeadm-config.yaml"]}
    if running:
        files[APISERVER] = apiserver_manifest()
        files[ETCD] = etcd_manifest(dropped)
    results = [{"item": path, "content": b64(files[path])} if path in files
               else {"item": path, "failed": True, "msg": f"file not found: {path}"}
               for path in [*files, *(p for p in (APISERVER, ETCD) if p not in files)]]
    live: Doc = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    if running:
        live = {"changed": False, "rc": 0, "stdout_lines": [
            f"etcd_running={nodes}", f"apiservers_running={nodes}",
            "secret_prefix=k8s:enc:secretbox:v1:key1:"]}
    return {
        "mlps_level": 3,
        "k8s_control_plane_verify_modes": {"stdout_lines": modes(running)},
        "k8s_control_plane_verify_files": {"results": results},
        "k8s_control_plane_verify_enc_file": {"content": b64(rendered["encryption-config.yaml"])},
        "k8s_control_plane_verify_live": live,
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The configuration files the role writes, rendered by Ansible from its templates."""
    out = tmp_path_factory.mktemp("k8s-judge-render")
    inventory = out / "inventory.yml"
    inventory.write_text(RENDER_INVENTORY, encoding="utf-8")
    run = run_playbook(RENDER, inventory, limit="cp1", extra_vars={
        "render_dir": str(out), "ansible_python_interpreter": sys.executable,
        "k8s_control_plane_encryption_secrets": [base64.b64encode(os.urandom(32)).decode()],
        "render_join": {"token": "abcdef.0123456789abcdef", "hash": "sha256:" + "0" * 64,
                        "key": os.urandom(32).hex()},
    })
    assert run.ok, run.output[-4000:]
    files = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.yaml")}
    files["audit-policy.yaml"] = render_audit_policy()
    return files


def judge(rendered: dict[str, str], out: Path, cases: dict[str, tuple[int, bool, tuple[str, ...]]],
          ) -> dict[str, Path]:
    """Evidence directory per case, written by the role's judge from the canned observations."""
    groups: dict[str, Any] = {"judged": {"hosts": {f"{c}-cp1": None for c in cases}}}
    hosts: dict[str, Doc] = {}
    for case, (nodes, running, dropped) in cases.items():
        members = [f"{case}-cp{i}" for i in range(1, nodes + 1)]
        groups[case] = {"hosts": {m: None for m in members}}
        hosts[f"{case}-cp1"] = {"judged_group": case, **observations(rendered, nodes, running, dropped)}
    for case in cases:
        groups["judged"]["hosts"][f"{case}-cp1"] = hosts[f"{case}-cp1"]
    inventory = out / "judge-inventory.yml"
    inventory.write_text(json.dumps({"all": {"children": groups}}), encoding="utf-8")
    written = out / "judged"
    run = run_playbook(JUDGE, inventory, extra_vars={
        "evidence_dir": str(written), "ansible_python_interpreter": sys.executable,
        "k8s_control_plane_audit_policy": rendered["audit-policy.yaml"]})
    assert run.ok, run.output[-4000:]
    dirs = {}
    for case in cases:
        dirs[case] = out / "evidence" / case
        shutil.copytree(written / f"{case}-cp1", dirs[case] / f"{case}-cp1")
    return dirs


@pytest.fixture(scope="module")
def evidence(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return judge(rendered, tmp_path_factory.mktemp("k8s-judge"), CASES)


def host_results(directory: Path) -> list[Doc]:
    (path,) = directory.glob("*/k8s_control_plane.json")
    doc: Doc = json.loads(path.read_text(encoding="utf-8"))
    results: list[Doc] = doc["results"]
    return results


def statuses(directory: Path, control: str) -> dict[str, str]:
    return {r["check"]: r["status"] for r in host_results(directory) if r["control"] == control}


class Reports:
    """The five files `mlps report` wrote, parsed."""

    def __init__(self, out: Path, exit_code: int) -> None:
        self.exit_code = exit_code
        self.text = (out / "report.txt").read_text(encoding="utf-8")
        self.json: Doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
        self.sarif: Doc = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
        self.junit = ET.fromstring((out / "report.junit.xml").read_text(encoding="utf-8"))
        self.html = (out / "report.html").read_text(encoding="utf-8")

    def status(self, control: str) -> str:
        found = [c["status"] for c in self.json["controls"] if c["id"] == control]
        assert len(found) == 1, control
        return str(found[0])

    def testcase(self, control: str) -> ET.Element:
        found = [t for t in self.junit.iter("testcase") if str(t.get("name")).split()[0] == control]
        assert len(found) == 1, control
        return found[0]

    def html_row(self, control: str) -> str:
        """The control's row in the table of every control (its evidence included)."""
        rows = [r for r in self.html.split("<tr>") if f'class="id"><code>{control}</code>' in r]
        assert rows, control
        return rows[-1]  # after the findings table

    def html_status(self, control: str) -> str:
        """The class of the badge in the status cell of the control's row."""
        cells = self.html_row(control).split("<td>")
        found = re.search(r'<span class="badge ([a-z_]+)">', cells[-1])
        assert found, control
        return found.group(1)


def report(evidence: Path, out: Path) -> Reports:
    result = CliRunner().invoke(app, ["report", "--spec", str(SPEC), "--evidence", str(evidence),
                                      "--out", str(out), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Reports(out, result.exit_code)


@pytest.fixture(scope="module")
def reports(evidence: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reports]:
    out = tmp_path_factory.mktemp("k8s-judge-reports")
    return {case: report(directory, out / case) for case, directory in evidence.items()}


# --- the judge alone -------------------------------------------------------------------------


def test_without_a_cluster_the_live_checks_are_not_checkable_with_the_reason(
        evidence: dict[str, Path]) -> None:
    live = [r for r in host_results(evidence["nocluster"]) if r["status"] == "not_checkable"]
    assert {r["control"] for r in live} >= set(LIVE)
    for r in live:
        assert r["observed"] == "unknown" and r["detail"], r
    for control in LIVE:
        reasons = [r["detail"] for r in live if r["control"] == control]
        assert any(NO_CLUSTER in d for d in reasons), (control, reasons)
    # the same host's file checks were judged (and pass): only the live part is unknown
    assert "pass" in statuses(evidence["nocluster"], "K8S-HA-01").values()


def test_one_control_plane_node_fails_at_level_3(evidence: dict[str, Path]) -> None:
    got = statuses(evidence["one"], "K8S-HA-01")
    assert got["control-plane hosts in group one"] == "fail"
    assert got["etcd members running"] == "fail"


def test_three_running_nodes_pass_every_live_check(evidence: dict[str, Path]) -> None:
    for control in LIVE:
        got = statuses(evidence["three"], control)
        assert got and set(got.values()) == {"pass"}, (control, got)


def test_etcd_without_peer_client_certificates_fails(evidence: dict[str, Path]) -> None:
    got = statuses(evidence["peerless"], "K8S-ETCD-01")
    assert got["running etcd: TLS with client certificate authentication"] == "fail"
    assert got["kubeadm config: etcd requires client certificates from clients and peers, "
               "no self-signed auto TLS"] == "pass"


def test_etcd_config_without_peer_client_certificates_fails(
        rendered: dict[str, str], tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all(rendered["kubeadm-config.yaml"]))
    cluster = next(d for d in docs if d and d.get("kind") == "ClusterConfiguration")
    args = cluster["etcd"]["local"]["extraArgs"]
    peer = next(a for a in args if a["name"] == "peer-client-cert-auth")
    peer["value"] = "false"
    weakened = {**rendered, "kubeadm-config.yaml": yaml.safe_dump_all(docs)}
    got = statuses(judge(weakened, tmp_path, {"nocluster": CASES["nocluster"]})["nocluster"],
                   "K8S-ETCD-01")
    assert got["kubeadm config: etcd requires client certificates from clients and peers, "
               "no self-signed auto TLS"] == "fail"


# --- the report, in every format -------------------------------------------------------------


def test_report_never_passes_a_live_control_without_a_cluster(reports: dict[str, Reports]) -> None:
    rep = reports["nocluster"]
    for control in LIVE:
        assert rep.status(control) == "not_checkable", control
        shown = [e for c in rep.json["controls"] if c["id"] == control for e in c["evidence"]]
        assert any(e["status"] == "not_checkable" and NO_CLUSTER in e["detail"] for e in shown)
    assert not [f for f in rep.json["findings"] if f["control"] in LIVE]


def test_summary_does_not_count_not_checkable_as_passed(reports: dict[str, Reports]) -> None:
    rep = reports["nocluster"]
    (env,) = rep.json["summary"]["environments"]
    by_status: dict[str, int] = {}
    for c in rep.json["controls"]:
        by_status[c["status"]] = by_status.get(c["status"], 0) + 1
    assert env["controls"]["pass"] == by_status.get("pass", 0)
    assert env["controls"]["not_checkable"] == by_status["not_checkable"] >= len(LIVE)
    family = env["families"]["computing_environment"]
    assert family["not_checkable"] >= len(LIVE)
    total = next(li for li in rep.text.splitlines() if li.strip().startswith("total 合计"))
    header = next(li for li in rep.text.splitlines() if li.strip().startswith("family"))
    columns = [c.strip() for c in header.split("┃")[1:]]
    assert dict(zip(columns, (int(n) for n in re.findall(r"\d+", total)), strict=True)) == \
        env["controls"]


def test_text_report_names_each_not_checkable_control_and_its_reason(
        reports: dict[str, Reports]) -> None:
    text = reports["nocluster"].text
    for control in LIVE:
        lines = [li for li in text.splitlines() if control in li and "not checkable" in li]
        assert lines and any(NO_CLUSTER in li for li in lines), (control, lines)


def test_junit_skips_not_checkable_controls_with_the_reason(reports: dict[str, Reports]) -> None:
    rep = reports["nocluster"]
    for control in LIVE:
        case = rep.testcase(control)
        skipped = case.find("skipped")
        assert skipped is not None and case.find("failure") is None, control
        assert NO_CLUSTER in str(skipped.get("message")), control


def test_html_badges_not_checkable_controls_with_the_reason(reports: dict[str, Reports]) -> None:
    rep = reports["nocluster"]
    for control in LIVE:
        assert rep.html_status(control) == "not_checkable", control
        assert NO_CLUSTER in rep.html_row(control).split("<td>")[-1], control


def test_sarif_marks_not_checkable_controls_for_review(reports: dict[str, Reports]) -> None:
    results = reports["nocluster"].sarif["runs"][0]["results"]
    for control in LIVE:
        mine = [r for r in results if r["ruleId"] == control]
        assert mine and all(r.get("kind") == "review" for r in mine), control
        assert any(NO_CLUSTER in r["message"]["text"] for r in mine), control
    assert all(r.get("kind", "fail") != "pass" for r in results)


def test_report_fails_one_node_and_peerless_etcd_and_passes_three(
        reports: dict[str, Reports]) -> None:
    one, three, peerless = reports["one"], reports["three"], reports["peerless"]
    assert one.status("K8S-HA-01") == "fail" and one.exit_code == 1
    assert one.testcase("K8S-HA-01").find("failure") is not None
    assert peerless.status("K8S-ETCD-01") == "fail" and peerless.exit_code == 1
    assert any(r["ruleId"] == "K8S-ETCD-01" and r.get("kind", "fail") == "fail"
               for r in peerless.sarif["runs"][0]["results"])
    for control in LIVE:
        assert three.status(control) == "pass", control
        assert three.html_status(control) == "pass", control
        assert three.testcase(control).find("skipped") is None, control
