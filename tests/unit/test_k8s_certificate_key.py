"""K8S-HA-01: the certificate key for joining control-plane hosts reaches kubeadm in a root-only
configuration file (InitConfiguration.certificateKey), never on a command line (which every
local user reads in /proc/PID/cmdline). The role's own script runs here against a kubeadm that
records its arguments and the configuration it was given."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from pathlib import Path

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles" / "k8s_control_plane" / "tasks" / "kubeadm.yml"
KEY = "0123456789abcdef" * 4

FAKE_KUBEADM = """#!/bin/bash
printf '%s\\n' "$*" >> "{log}"
case "$1 $2" in
  "certs certificate-key") echo {key} ;;
  "init phase")
    while [ $# -gt 0 ]; do
      if [ "$1" = --config ]; then cp "$2" "{seen}"; stat -c %a "$2" > "{seen}.mode"; fi
      shift
    done ;;
  "token create") echo abcdef.0123456789abcdef ;;
esac
"""


def _script() -> str:
    tasks = yaml.safe_load(TASKS.read_text())
    task = next(t for t in tasks
                if str(t.get("name", "")).startswith("K8S-HA-01 | Issue a one-hour join token"))
    assert task.get("no_log") is True
    return str(task["ansible.builtin.shell"])


def test_certificate_key_goes_through_a_private_config_file(tmp_path: Path) -> None:
    etc = tmp_path / "etc-kubernetes"
    (etc / "pki").mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=ca", "-days", "1", "-keyout", str(tmp_path / "ca.key"),
                    "-out", str(etc / "pki" / "ca.crt")], check=True, capture_output=True, timeout=60)
    config = tmp_path / "kubeadm-config.yaml"
    config.write_text("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration: {}\n"
                      "---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log, seen = tmp_path / "argv.log", tmp_path / "seen.yaml"
    kubeadm = bindir / "kubeadm"
    kubeadm.write_text(FAKE_KUBEADM.format(log=log, key=KEY, seen=seen))
    kubeadm.chmod(stat.S_IRWXU)
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - a shell script, as Ansible renders it
    env.filters["quote"] = shlex.quote
    script = env.from_string(_script()).render(
        k8s_control_plane_bin_dir=str(bindir), k8s_control_plane_config_path=str(config))
    script = script.replace("/etc/kubernetes", str(etc))
    run = subprocess.run(["/bin/bash", "-c", script], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert run.returncode == 0, run.stderr
    assert f"key={KEY}" in run.stdout.splitlines()
    calls = log.read_text().splitlines()
    assert any(c.startswith("init phase upload-certs --upload-certs --config ") for c in calls), calls
    assert not any(KEY in c for c in calls), "the certificate key was on a command line"
    docs = list(yaml.safe_load_all(seen.read_text()))
    assert docs[0]["kind"] == "InitConfiguration" and docs[0]["certificateKey"] == KEY
    assert "certificateKey" not in docs[1]
    assert (tmp_path / "seen.yaml.mode").read_text().strip() == "600"
    assert list(etc.glob("kubeadm-upload-certs.*")) == [], "the copy holding the key was left behind"
