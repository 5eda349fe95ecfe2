"""The Ansible collection mlps.hospital as released: the tarball ``ansible-galaxy collection build``
makes holds only the collection, installs offline, its roles play by their collection names, its
modules are documented, and it passes ansible-lint's production profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
ROLE_NAMES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
TOP_LEVEL = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "changelogs", "meta", "plugins",
             "roles"}


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(tarball, collections path it is installed in), both outside the checkout."""
    tmp = tmp_path_factory.mktemp("collection")
    proc = run(str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path",
               str(tmp / "dist"), cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarball = tmp / "dist" / f"mlps-hospital-{GALAXY['version']}.tar.gz"
    assert tarball.is_file(), proc.stdout
    proc = run(str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
               str(tarball), "-p", str(tmp / "collections"), cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tarball, tmp / "collections"


def members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return tar.getnames()


def test_the_tarball_holds_only_the_collection(built: tuple[Path, Path]) -> None:
    names = members(built[0])
    assert {n.split("/")[0] for n in names} == TOP_LEVEL
    stray = [n for n in names if any(part in n.split("/") for part in (
        "__pycache__", ".venv", "tests", "ansible.cfg", ".git", ".ansible"))
             or n.endswith((".pyc", ".tar.gz", ".retry"))]
    assert stray == []
    for role in ROLE_NAMES:
        assert f"roles/{role}/tasks/main.yml" in names
        assert f"roles/{role}/meta/argument_specs.yml" in names
        assert f"roles/{role}/README.md" in names
    assert sorted(n.removeprefix("plugins/modules/").removesuffix(".py") for n in names
                  if n.startswith("plugins/modules/") and n.endswith(".py")) == MODULES
    assert {"meta/runtime.yml", "changelogs/changelog.yaml", "changelogs/config.yaml",
            "LICENSE"} <= set(names)


def test_metadata_license_changelog_and_required_ansible(built: tuple[Path, Path]) -> None:
    installed = built[1] / "ansible_collections" / "mlps" / "hospital"
    manifest = json.loads((installed / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (
        "mlps", "hospital", GALAXY["version"])
    assert manifest["license"] == ["Apache-2.0"]
    assert "Apache License" in (installed / "LICENSE").read_text(encoding="utf-8").splitlines()[1]
    runtime = yaml.safe_load((installed / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    from ansible.module_utils.compat.version import LooseVersion
    from ansible.release import __version__ as core
    assert runtime["requires_ansible"].startswith(">=")
    assert LooseVersion(core) >= LooseVersion(runtime["requires_ansible"][2:])
    changes = yaml.safe_load((installed / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    release = changes["releases"][GALAXY["version"]]
    assert release["changes"]["release_summary"]
    assert sorted(m["name"] for m in release["modules"]) == MODULES


def syntax_check(collections: Path, tmp: Path, roles: list[str]) -> subprocess.CompletedProcess[str]:
    play = [{"name": "Every role of the collection by its collection name", "hosts": "all",
             "become": True, "roles": [{"role": r} for r in roles]}]
    (tmp / "site.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    empty = tmp / "no-roles"
    empty.mkdir(exist_ok=True)
    return run(str(BIN / "ansible-playbook"), "-i", "localhost,", "--syntax-check", "site.yml", cwd=tmp,
               env={"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_ROLES_PATH": str(empty)})


def test_a_play_using_the_roles_by_collection_name_passes_syntax_check(
        built: tuple[Path, Path], tmp_path: Path) -> None:
    proc = syntax_check(built[1], tmp_path, [f"mlps.hospital.{r}" for r in ROLE_NAMES])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = syntax_check(built[1], tmp_path, ["mlps.hospital.no_such_role"])
    assert proc.returncode != 0
    assert "no_such_role" in proc.stdout + proc.stderr


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_finds_each_module_documented(module: str, built: tuple[Path, Path]) -> None:
    from_tree = run(str(BIN / "ansible-doc"), "-M", str(ROOT / "plugins" / "modules"), module,
                    cwd=ROOT)
    from_collection = run(str(BIN / "ansible-doc"), f"mlps.hospital.{module}", cwd=built[1],
                          env={"ANSIBLE_COLLECTIONS_PATH": str(built[1])})
    for proc in (from_tree, from_collection):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "WARNING" not in proc.stderr, proc.stderr
        for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
            assert section in proc.stdout, f"{module}: no {section}"
    source = (ROOT / "plugins" / "modules" / f"{module}.py").read_text(encoding="utf-8")
    meta = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    assert meta["module"] == module and meta["short_description"] and meta["author"]
    yaml.safe_load(source.split('EXAMPLES = r"""', 1)[1].split('"""', 1)[0])


def test_the_roles_keep_their_own_modules() -> None:
    for link in (ROOT / "plugins" / "modules").glob("*.py"):
        assert link.is_symlink(), f"{link.name}: the role's library/ holds the module"
        target = link.resolve()
        assert target.parent.name == "library" and target.parent.parent.parent == ROOT / "roles"


@pytest.mark.slow
def test_the_installed_collection_is_ansible_lint_production_clean(built: tuple[Path, Path]) -> None:
    installed = built[1] / "ansible_collections" / "mlps" / "hospital"
    proc = run(str(BIN / "ansible-lint"), "--profile", "production", "--nocolor", cwd=installed)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
