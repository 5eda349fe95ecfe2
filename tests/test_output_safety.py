"""Commands that write a directory never destroy what they did not write (attacks on --out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.safe_output import check_target

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "Pulumi.onprem-lab.yaml")


def mlps(*args: str, cwd: Path = ROOT, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "mlps", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def refused(proc: subprocess.CompletedProcess[str], why: str) -> None:
    """Exit 2, one line on stderr that says why, no traceback."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert why in proc.stderr and "Traceback" not in proc.stderr


def write_command(kind: str, out: Path) -> list[str]:
    return {"synth": ["synth", "--stack", "onprem-lab", "--out", str(out)],
            "report": ["report", "--spec", SPEC, "--out", str(out)],
            "pki": ["pki", "init", str(out), "--name", "audit1"]}[kind]


def snapshot(directory: Path) -> dict[str, str]:
    """Every entry under ``directory`` (links not followed) with its content or link target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(directory))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_text(encoding="utf-8")
            else:
                out[rel] = "dir"
    return out


KINDS = ["synth", "report", "pki"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_directory_holding_a_foreign_file_survives(kind: str, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    before = snapshot(tmp_path)
    refused(mlps(*write_command(kind, mine)), f"was not written by mlps {kind}")
    assert snapshot(tmp_path) == before  # no staging directory left beside it either


@pytest.mark.parametrize("kind", KINDS)
def test_a_symlink_to_a_foreign_directory_is_refused_and_not_followed(kind: str,
                                                                      tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.txt").write_text("patient records", encoding="utf-8")
    link = tmp_path / "out"
    link.symlink_to(foreign)
    before = snapshot(tmp_path)
    refused(mlps(*write_command(kind, link)), "symbolic link")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", KINDS)
def test_an_existing_file_is_refused(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me", encoding="utf-8")
    refused(mlps(*write_command(kind, target)), "is not a directory")
    assert snapshot(tmp_path) == {"file.txt": "keep me"}


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_home_directory_is_refused(kind: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    refused(mlps(*write_command(kind, home), home=home), "is the home directory")
    assert snapshot(tmp_path) == {"home": "dir"}


@pytest.mark.parametrize("kind", ["report", "pki"])
@pytest.mark.parametrize("where", [".", "..", "../.."])
def test_the_current_directory_and_its_parents_are_refused(kind: str, where: str,
                                                           tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    before = snapshot(tmp_path)
    proc = mlps(*write_command(kind, Path(where)), cwd=work)
    refused(proc, "current directory")
    assert snapshot(tmp_path) == before


def sandbox_project(tmp_path: Path) -> Path:
    """A project directory whose code is linked from this one: a broken check could only
    remove the links, never follow them into the repository."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.onprem-lab.yaml"):
        (project / name).write_bytes((ROOT / name).read_bytes())
    for name in ("stacks", "policy", "mlps", "schemas"):
        (project / name).symlink_to(ROOT / name)
    return project


@pytest.mark.parametrize("where", [".", ".."])
def test_synth_refuses_its_project_root_and_above(where: str, tmp_path: Path) -> None:
    project = sandbox_project(tmp_path)
    before = snapshot(tmp_path)
    proc = mlps("synth", "--stack", "onprem-lab", "--out", where, cwd=project)
    refused(proc, "current directory")
    assert snapshot(tmp_path) == before


def test_the_project_root_is_refused_from_elsewhere(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # only the check runs here: it never writes or removes
    with pytest.raises(InputError, match="is the project root"):
        check_target(ROOT, "pki", "DIR")
    with pytest.raises(InputError, match="was not written by mlps report"):
        check_target(ROOT / "mlps", "report")


def test_a_previous_synth_output_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    assert mlps("synth", "--stack", "onprem-lab", "--out", str(out)).returncode == 0
    first = snapshot(out)
    (out / "inventory.yml").write_text("edited since", encoding="utf-8")  # a file synth wrote
    assert mlps("synth", "--stack", "onprem-lab", "--out", str(out)).returncode == 0
    assert snapshot(out) == first
    assert sorted(os.listdir(tmp_path)) == ["synth"]
    # a file synth never wrote, put into its output by somebody: refused, and it survives
    (out / "manifests" / "notes.yaml").write_text("somebody's notes", encoding="utf-8")
    before = snapshot(tmp_path)
    refused(mlps("synth", "--stack", "onprem-lab", "--out", str(out)), "did not write (manifests/notes.yaml)")
    assert snapshot(tmp_path) == before
    (out / "manifests" / "notes.yaml").unlink()
    # a synth output is not a report: the report command refuses to replace it
    refused(mlps("report", "--spec", SPEC, "--out", str(out)), "was not written by mlps report")
    assert snapshot(out) == first


def test_a_previous_pki_directory_keeps_its_ca_and_gains_hosts(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    assert mlps("pki", "init", str(pki), "--name", "audit1").returncode == 0
    ca_key = (pki / "ca.key").read_bytes()
    assert mlps("pki", "init", str(pki), "--name", "fw1").returncode == 0
    assert (pki / "ca.key").read_bytes() == ca_key
    assert {"audit1.pem", "audit1.key", "fw1.pem", "fw1.key"} <= set(os.listdir(pki))
    assert (pki.stat().st_mode & 0o777) == 0o700
    assert ((pki / "fw1.key").stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(("name", "why"), [("ca", "reserved"), ("../x", "not a host name"),
                                           ("a/b", "not a host name"), ("", "not a host name"),
                                           ("-x", "not a host name")])
def test_pki_refuses_the_ca_name_and_paths(name: str, why: str, tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    assert mlps("pki", "init", str(pki), "--name", "audit1").returncode == 0
    before = snapshot(tmp_path)
    refused(mlps("pki", "init", str(pki), f"--name={name}"), why)
    assert snapshot(tmp_path) == before  # the CA key is not handed out, nothing lands outside


def test_report_plan_copies_only_what_synth_wrote_and_never_through_a_link(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    assert mlps("synth", "--stack", "onprem-lab", "--out", str(plan)).returncode == 0
    secret = tmp_path / "secret.key"
    secret.write_text("PRIVATE", encoding="utf-8")
    (plan / "extra.key").symlink_to(secret)
    (plan / "notes.txt").write_text("not from synth", encoding="utf-8")
    out = tmp_path / "report"
    proc = mlps("report", "--spec", SPEC, "--plan", str(plan), "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    copied = {p.relative_to(out / "bundle/inputs/plan").as_posix()
              for p in (out / "bundle/inputs/plan").rglob("*") if p.is_file()}
    listed = json.loads((plan / ".mlps-output").read_text(encoding="utf-8"))["files"]
    assert copied == set(listed)
    assert "PRIVATE" not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                    for p in (out / "bundle").rglob("*") if p.is_file())

    (plan / "inventory.yml").unlink()
    (plan / "inventory.yml").symlink_to(secret)  # a listed file swapped for a link
    refused(mlps("report", "--spec", SPEC, "--plan", str(plan), "--out", str(tmp_path / "r2")),
            "symbolic link")
    assert not (tmp_path / "r2").exists()


def test_report_plan_refuses_a_directory_synth_did_not_write(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "findings.json").write_text('{"checked": [], "findings": []}', encoding="utf-8")
    refused(mlps("report", "--spec", SPEC, "--plan", str(plan), "--out", str(tmp_path / "r")),
            "was not written by `mlps synth`")


def test_validate_output_replaces_only_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(theirs)
    for target in (fifo, link, tmp_path):
        refused(mlps("validate", SPEC, "--output", str(target)), str(target))
    assert fifo.is_fifo() and link.is_symlink()
    assert theirs.read_text(encoding="utf-8") == "keep me"
    assert mlps("validate", SPEC, "--output", str(theirs)).returncode == 0
    assert "compliant" in theirs.read_text(encoding="utf-8")
