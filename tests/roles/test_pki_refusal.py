"""The log roles refuse, in one message and before any change, to run without the CA, the host's
certificate and its key on the controller (CNS-TRANS-04): an unset MLPS_PKI_DIR used to end in
"Could not find or access '/ca.pem'" after rsyslog was already installed. Runs ansible-playbook
against three local hosts (connection local, check mode, the role's pki tasks only): no lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlps.ansible_run import PROJECT_ROOT
from mlps.pki import environment_pki

pytestmark = pytest.mark.slow

REFUSAL = "Refuse to start without the CA"
# One host per case: no file for it in a directory holding a CA, no directory set, all present.
MISSING, UNSET, PRESENT = "missing-host", "unset-host", "present-host"


def refusal_task(out: str) -> str:
    """What the refusal task printed, for every host."""
    return out.split(REFUSAL, 1)[1].split("\nTASK ", 1)[0]


@pytest.fixture(scope="module", params=["log_audit_server", "log_forwarder"])
def probed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    role, work = request.param, tmp_path_factory.mktemp("pki-refusal")
    pki_dir = work / "pki"
    environment_pki(pki_dir, "probe CA", [PRESENT])
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {MISSING: {**local, f"{role}_pki_src_dir": str(pki_dir)},
             UNSET: {**local, f"{role}_pki_src_dir": ""},
             PRESENT: {**local, f"{role}_pki_src_dir": str(pki_dir)}}
    inventory = work / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}), encoding="utf-8")
    playbook = work / "probe.yml"
    playbook.write_text(json.dumps([{"name": "Probe", "hosts": "all", "gather_facts": False, "tasks": [{
        "name": "Install the certificates",
        "ansible.builtin.include_role": {"name": role, "tasks_from": "pki"}}]}]), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"),
           "ANSIBLE_ROLES_PATH": str(PROJECT_ROOT / "roles"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "MLPS_PKI_DIR": ""}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "--check",
         str(playbook)], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert proc.returncode != 0, "two of the three hosts must be refused"
    return pki_dir, proc.stdout + proc.stderr


def test_missing_files_are_named_with_the_command_that_makes_them(probed: tuple[Path, str]) -> None:
    pki_dir, out = probed
    assert f"no {pki_dir}/{MISSING}.pem, {pki_dir}/{MISSING}.key on the controller" in out, out[-3000:]
    assert f"mlps pki init DIR --name {MISSING}" in out
    assert "Could not find or access" not in out


def test_unset_directory_is_refused_before_any_copy(probed: tuple[Path, str]) -> None:
    _, out = probed
    assert f"no /ca.pem, /{UNSET}.pem, /{UNSET}.key on the controller" in out, out[-3000:]
    assert f"fatal: [{UNSET}]" in refusal_task(out)


def test_present_files_pass_the_refusal(probed: tuple[Path, str]) -> None:
    _, out = probed
    assert f"ok: [{PRESENT}]" in refusal_task(out), out[-3000:]
    assert f"fatal: [{PRESENT}]" not in refusal_task(out)
    # Past the refusal, the certificate files are copied (check mode: reported, not written).
    assert f"changed: [{PRESENT}]" in out.split("Install this", 1)[1].split("\nTASK ", 1)[0]
