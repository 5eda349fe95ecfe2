"""Bad input: one clear line naming the file, the place and what to do; exit 2; nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")


def mlps(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlps", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "invalid-yaml": ("spec.yaml", "name: x\n  level: [3\n", "invalid YAML", "line"),
    "yaml-bomb": ("spec.yaml",
                  'a: &a ["x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n',
                  "anchors and aliases", "line 1"),
    "not-a-mapping": ("spec.yaml", "- 1\n- 2\n", "does not hold a mapping", ""),
    "empty": ("spec.yaml", "", "empty", ""),
    "wrong-type": ("Pulumi.x.yaml", GOOD.replace("level: 3", "level: three"),
                   "is not allowed", "/level"),
    "unknown-key": ("Pulumi.x.yaml", GOOD.replace("    layout: hybrid\n",
                                                  "    layout: hybrid\n    colour: blue\n"),
                    "unknown key 'colour'", "/colour"),
    "level-out-of-range": ("Pulumi.x.yaml", GOOD.replace("level: 3", "level: 5"),
                           "5 is not allowed", "/level"),
    "pulumi-without-key": ("Pulumi.x.yaml", "config:\n  aws:region: cn-north-1\n",
                           "no 'mlps:environment' key", "line 1"),
    "duplicate-key": ("spec.yaml", "name: a\nname: b\n", "duplicate key 'name'", "line 2"),
    "bad-json": ("spec.json", '{"name": "x",}', "invalid JSON", "line 1"),
    "python-tag": ("spec.yaml", "name: !!python/object:os.system x\n", "tag", "line 1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_one_clear_error(tmp_path: Path, case: str) -> None:
    name, text, message, where = CASES[case]
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    line = info.value.line()
    assert line.startswith(str(path)), line
    assert message in line, line
    assert where in line, line
    assert info.value.hint, "every error says what to do"


def test_wrong_type_points_at_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("idle_timeout_seconds: 600\n      ssh", "idle_timeout_seconds: soon\n      ssh")
    path = write(tmp_path, "Pulumi.x.yaml", text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    expected_line = text.splitlines().index("      idle_timeout_seconds: soon") + 1
    assert f"line {expected_line} (/baseline/idle_timeout_seconds)" in info.value.line()


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("x: " + "a" * (5 * 1024 * 1024), encoding="utf-8")
    with pytest.raises(InputError, match="more than the"):
        load_spec(path)


def test_all_shape_problems_are_listed(tmp_path: Path) -> None:
    text = GOOD.replace("level: 3", "level: 7").replace("layout: hybrid", "layout: moon")
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, "Pulumi.x.yaml", text))
    assert len(info.value.lines()) == 2


@pytest.mark.parametrize("args,message", [
    (["validate", "missing.yaml"], "file not found"),
    (["validate", "schemas"], "is a directory"),
    (["validate", "Pulumi.hybrid-prod.yaml", "--level", "5"], "use --level 2, 3 or 4"),
    (["validate", "Pulumi.hybrid-prod.yaml", "--waivers", "Pulumi.yaml"], "not a waiver file"),
])
def test_cli_exits_2_without_traceback_and_writes_nothing(tmp_path: Path, args: list[str],
                                                          message: str) -> None:
    out = tmp_path / "report.json"
    proc = mlps(*args, "--format", "json", "--output", str(out))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_yaml_bomb_is_refused_quickly_by_the_cli(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        levels.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    proc = mlps("validate", str(path))
    assert proc.returncode == 2
    assert "anchors and aliases" in proc.stderr
