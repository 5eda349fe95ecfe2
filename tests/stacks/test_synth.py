"""``mlps synth``: sorted, secret-free output, byte-identical on re-run; unique names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthfix import EXAMPLES, ROOT, modified

from mlps.synth import synthesize
from mlps.synth.mockrun import run_program
from mlps.synth.run import SynthResult
from stacks.inventory import load_inventory
from stacks.program import EnvironmentStack


@pytest.mark.parametrize("stack", EXAMPLES)
def test_synth_twice_writes_identical_bytes(stack: str, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    synthesize(stack, first, start=ROOT)
    synthesize(stack, second, start=ROOT)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert {"resources.json", "inventory.yml", "findings.json"} <= {str(f) for f in files}
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


@pytest.mark.parametrize("stack", EXAMPLES)
def test_output_holds_no_secret_and_is_sorted(stack: str, synthesized: dict[str, SynthResult]) -> None:
    result = synthesized[stack]
    text = "\n".join(result.files.values())
    spec_text = (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    for line in spec_text.splitlines():
        if "secure:" in line:
            assert line.split("secure:")[1].strip() not in text
    rows = json.loads(result.files["resources.json"])
    assert rows == sorted(rows, key=lambda r: (r["type"], r["name"]))
    inventory = load_inventory(result.files["inventory.yml"])
    assert "password" not in json.dumps(inventory["all"]["vars"]["mlps_spec"].get("links", []))
    assert json.loads(result.files["findings.json"])["findings"] == []


def test_two_environments_in_one_program_do_not_collide() -> None:
    a = modified("onprem-lab", lambda d: None)
    b = modified("onprem-lab", lambda d: d.update(name="onprem-lab-2"))

    def program() -> None:
        EnvironmentStack(a)
        EnvironmentStack(b)

    regs = run_program(program, "mlps", "x", {})
    urns = [r.urn for r in regs]
    assert len(urns) == len(set(urns))
    assert sum(r.type == "mlps:index:Environment" for r in regs) == 2


def test_a_changed_mock_runtime_names_the_pulumi_version() -> None:
    import pulumi

    from mlps.synth.mockrun import MockRuntimeChanged, check_runtime, pulumi_version

    check_runtime()
    expected = rf"pulumi {pulumi_version()} lacks .*\.gone.*tested with pulumi 3\."
    with pytest.raises(MockRuntimeChanged, match=expected):
        check_runtime(((pulumi.runtime, "set_mocks"), (pulumi.runtime, "gone")))
