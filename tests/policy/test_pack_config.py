"""The CrossGuard pack: level from its config or MLPS_LEVEL, a versioned pack, framework metadata."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import mlps  # noqa: E402
from mlps.controls import catalog  # noqa: E402
from policy.config import pack_config  # noqa: E402
from policy.crossguard import configured, describe, metadata, pack_level, to_crossguard  # noqa: E402
from policy.policies import POLICIES  # noqa: E402

BY_NAME = {p.name: p for p in POLICIES}
NS = "kubernetes:core/v1:Namespace"
BASELINE_NS = {"metadata": {"name": "core", "labels": {
    "mlps.dev/namespace-kind": "workload", "mlps.dev/zone-kind": "core",
    "pod-security.kubernetes.io/enforce": "baseline"}}}


def _validate(policy: str, type_: str, props: dict[str, Any], config: dict[str, Any] | None,
              level: int = 3) -> list[str]:
    from pulumi_policy import ResourceValidationArgs

    cg = to_crossguard(BY_NAME[policy], level)
    args = ResourceValidationArgs(type_, props, "urn:x", "x", None, None, config)  # type: ignore[arg-type]
    reports: list[str] = []
    cg.validate(args, lambda message, urn=None: reports.append(message))  # type: ignore[arg-type,misc]
    return reports


def test_pack_config_level_decides_what_passes() -> None:
    name = "namespace_pod_security_restricted"
    assert _validate(name, NS, BASELINE_NS, None)  # MLPS_LEVEL / default 3: baseline fails
    assert _validate(name, NS, BASELINE_NS, {"level": 2}) == []
    assert _validate(name, NS, BASELINE_NS, {"level": 3}, level=2)


def _validate_stack(policy: str, type_: str, props: dict[str, Any],
                    config: dict[str, Any] | None) -> list[str]:
    from pulumi_policy import StackValidationArgs, StackValidationPolicy

    class Res:
        resource_type, name, urn, provider = type_, "vm", "urn:vm", None
        property_dependencies: dict[str, list[Any]] = {}  # noqa: RUF012  a stand-in's one field

    Res.props = props  # type: ignore[attr-defined]
    cg = to_crossguard(BY_NAME[policy], 3)
    assert isinstance(cg, StackValidationPolicy)
    reports: list[str] = []
    args = StackValidationArgs([Res()], config)  # type: ignore[list-item]
    cg.validate(args, lambda message, urn=None: reports.append(message))  # type: ignore[union-attr]
    return reports


def test_pack_config_carries_the_approved_images() -> None:
    vm = "alicloud:ecs/instance:Instance"
    ok = {"imageId": "a", "vswitchId": "v"}
    assert _validate_stack("approved_instance_image", vm, ok, {"approvedImages": ["a"]}) == []
    other = {**ok, "imageId": "b"}
    assert _validate_stack("approved_instance_image", vm, other, {"approvedImages": ["a"]}) == [
        "[CLD-IMG-01] instance vm boots b, not one of the approved images ['a']"]
    assert _validate_stack("approved_instance_image", vm, ok, None) == [
        "[CLD-IMG-01] instance vm boots a but no approved image list is declared (cloud.approved_images)"]


@pytest.mark.parametrize("bad", [1, 5, "3", None])
def test_a_bad_config_level_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="2, 3 or 4"):
        configured({"level": bad}, 3)


def test_environment_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLPS_LEVEL", raising=False)
    assert pack_level() == 3
    monkeypatch.setenv("MLPS_LEVEL", "4")
    assert pack_level() == 4
    monkeypatch.setenv("MLPS_LEVEL", "5")
    with pytest.raises(SystemExit, match="2, 3 or 4"):
        pack_level()


def test_generated_config_sets_level_and_enforcement_for_every_policy() -> None:
    config = pack_config(2, ["img"])
    assert set(config) == set(BY_NAME)
    for name, entry in config.items():
        assert entry["level"] == 2 and entry["approvedImages"] == ["img"]
        assert entry["enforcementLevel"] == BY_NAME[name].enforcement(2)
    assert config["log_retention"]["enforcementLevel"] == "advisory"
    assert pack_config(3)["log_retention"] == {"enforcementLevel": "mandatory", "level": 3}
    run = subprocess.run([sys.executable, "-m", "policy.config", "3"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and json.loads(run.stdout) == pack_config(3)
    bad = subprocess.run([sys.executable, "-m", "policy.config", "7"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and not bad.stdout


def test_pack_is_versioned_like_the_release() -> None:
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert pack["version"] == mlps.__version__


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_policy_carries_framework_clause_control_and_severity(name: str) -> None:
    cat = catalog()
    policy = BY_NAME[name]
    for level in (2, 3, 4):
        meta = metadata(policy, level)
        assert meta["framework"] == "GB/T 22239-2019"
        assert [c["id"] for c in meta["controls"]] == list(policy.controls)
        for c in meta["controls"]:
            assert c["clause"] == cat.controls[c["id"]].clause_at(level)
            assert f"{c['clause']} {c['id']}" in describe(policy, level)
        assert meta["severity"] in {cat.controls[c].severity for c in policy.controls}
        assert f"severity {meta['severity']}" in to_crossguard(policy, level).description


def test_the_dedicated_lines_reach_the_policies_through_the_pack_config() -> None:
    assert pack_config(3, dedicated_lines=2)["dedicated_lines_redundant"]["dedicatedLines"] == 2
    assert "dedicatedLines" not in pack_config(3)["dedicated_lines_redundant"]
    assert configured({"dedicatedLines": 0}, 3).graph([]).dedicated_lines == 0
    assert configured({}, 3).graph([]).dedicated_lines is None
    for bad in (-1, "2", True, 1.5):
        with pytest.raises(ValueError, match="dedicatedLines"):
            configured({"dedicatedLines": bad}, 3)
    run = subprocess.run([sys.executable, "-m", "policy.config", "3", "--lines=2"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and json.loads(run.stdout) == pack_config(3, dedicated_lines=2)
    for bad_option in ("--lines=two", "--lines=-1"):
        bad = subprocess.run([sys.executable, "-m", "policy.config", "3", bad_option], cwd=ROOT,
                             capture_output=True, text=True, check=False)
        assert bad.returncode == 2 and not bad.stdout and "--lines=N" in bad.stderr
