"""Thousands of random and mutated specs, special files and huge values: never a crash or a hang,
always an InputError (exit 2, one line) or a valid report."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlps.controls import catalog
from mlps.errors import InputError
from mlps.report import Report, build_section, render
from mlps.spec import load_spec, spec_from_config
from mlps.spec.yamlsource import parse
from mlps.validate import validate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [load_spec(ROOT / f"Pulumi.{n}.yaml").data
            for n in ("hybrid-prod", "onprem-lab", "cloud-dev", "private-cloud")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(["totp", "none", "onprem", "cloud", "core", 3, 180]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        candidates = paths(spec)[1:]
        path = draw(st.sampled_from(candidates))
        parent: Any = spec
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
    return spec


def check_outcome(data: Any) -> None:
    try:
        spec = spec_from_config(data, "mutated.yaml")
    except InputError as exc:
        assert exc.line().startswith("mutated.yaml") and exc.hint
        return
    cat = catalog()
    result = validate(spec, cat=cat)
    for f in result.findings:
        assert cat.get(f.control) is not None
        assert f.pointer == "" or f.pointer.startswith("/")
    section = build_section(cat, spec.name, spec.file, result.level, result.findings,
                            {"spec": result.checked})
    report = json.loads(render(Report(sections=[section]), "json"))
    assert report["summary"]["compliant"] == (not result.failed)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_never_crash(data: dict[str, Any]) -> None:
    check_outcome(data)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_random_values_never_crash(data: Any) -> None:
    check_outcome(data)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_random_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        parse(text, "random.yaml")
    except InputError as exc:
        assert exc.line().startswith("random.yaml")


# Special files and huge scalars: exit 2 with one line, no traceback, no hang. The subprocess
# timeout only guards the test run; a refusal comes at once.

GOOD = str(ROOT / "Pulumi.onprem-lab.yaml")
GUARD = 60


def run_mlps(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlps", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=GUARD, stdin=subprocess.DEVNULL)


def one_line_refusal(proc: subprocess.CompletedProcess[str], name: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def special_files() -> Iterator[dict[str, Path]]:
    """A FIFO with no writer, a listening socket, a directory, /dev/zero."""
    short = Path(tempfile.mkdtemp(prefix="mlps-sp-", dir="/tmp"))  # socket paths are short
    fifo, sock_path, folder = short / "fifo.yaml", short / "sock.yaml", short / "dir.yaml"
    os.mkfifo(fifo)
    folder.mkdir()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(sock_path))
    sock.listen(1)
    try:
        yield {"fifo": fifo, "socket": sock_path, "directory": folder, "device": Path("/dev/zero")}
    finally:
        sock.close()
        shutil.rmtree(short)


COMMANDS = {
    "validate": lambda f, out: ["validate", f],
    "validate --waivers": lambda f, out: ["validate", GOOD, "--waivers", f],
    "report --spec": lambda f, out: ["report", "--spec", f, "--out", out],
    "report --waivers": lambda f, out: ["report", "--spec", GOOD, "--waivers", f, "--out", out],
}


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "device"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_special_files_are_refused_at_once(special_files: dict[str, Path], kind: str,
                                           command: str, tmp_path: Path) -> None:
    path = str(special_files[kind])
    proc = run_mlps(*COMMANDS[command](path, str(tmp_path / "out")), cwd=tmp_path)
    one_line_refusal(proc, path)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "device"])
def test_special_files_in_evidence_and_topology_are_refused(special_files: dict[str, Path],
                                                            kind: str, tmp_path: Path) -> None:
    from mlps.lab.topology import load_topology

    with pytest.raises(InputError) as info:
        load_topology(special_files[kind])
    assert len(info.value.lines()) == 1
    evidence = tmp_path / "evidence" / "h1"
    evidence.mkdir(parents=True)
    (evidence / "baseline.json").symlink_to(special_files[kind])
    proc = run_mlps("report", "--spec", GOOD, "--evidence", str(tmp_path / "evidence"),
                    "--out", str(tmp_path / "out"), cwd=tmp_path)
    one_line_refusal(proc, "baseline.json")


HUGE = {
    "long integer": "1" * 5000,
    "long negative integer": "-" + "9" * 4301,
    "huge float": "1.0e+400",
    "huge negative float": "-1.0e+400",
    "infinity": ".inf",
    "not a number": ".nan",
}
HUGE_JSON = {"long integer": "1" * 5000, "huge float": "1e400", "infinity": "Infinity",
             "not a number": "NaN", "deep nesting": "[" * 50_000 + "]" * 50_000}


def spec_with(value: str, at: str) -> str:
    text = Path(GOOD).read_text(encoding="utf-8")
    return text.replace(at, f"{at.split(':')[0]}: {value}", 1)


@pytest.mark.parametrize("what", sorted(HUGE))
def test_huge_yaml_scalars_are_input_errors_in_every_command(what: str, tmp_path: Path) -> None:
    spec = tmp_path / "Pulumi.huge.yaml"
    spec.write_text(spec_with(HUGE[what], "level: 3"), encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f"waivers:\n  - control: CES-AUTH-06\n    expires: {HUGE[what]}\n",
                       encoding="utf-8")
    for args in (["validate", str(spec)], ["report", "--spec", str(spec), "--out", "o"],
                 ["validate", GOOD, "--waivers", str(waivers)]):
        one_line_refusal(run_mlps(*args, cwd=tmp_path), str(tmp_path))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("what", sorted(HUGE_JSON))
def test_huge_json_values_are_input_errors(what: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"name": "x", "level": ' + HUGE_JSON[what] + "}", encoding="utf-8")
    one_line_refusal(run_mlps("validate", str(spec), cwd=tmp_path), str(spec))
    evidence = tmp_path / "evidence" / "h1"
    evidence.mkdir(parents=True)
    (evidence / "baseline.json").write_text('{"host": ' + HUGE_JSON[what] + "}", encoding="utf-8")
    proc = run_mlps("report", "--spec", GOOD, "--evidence", str(tmp_path / "evidence"),
                    "--out", str(tmp_path / "out"), cwd=tmp_path)
    one_line_refusal(proc, "baseline.json")


huge_scalars = st.one_of(
    st.tuples(st.sampled_from(["", "-", "+"]), st.integers(65, 6000)).map(lambda t: t[0] + "7" * t[1]),
    st.integers(min_value=309, max_value=5000).map(lambda e: f"1.5e+{e}"),
    st.sampled_from([".inf", "-.inf", ".NaN", "+.INF"]),
)


@settings(max_examples=200, deadline=None)
@given(huge_scalars, st.sampled_from(EXAMPLES), st.booleans())
def test_huge_scalars_anywhere_are_input_errors(value: str, example: dict[str, Any],
                                                as_json: bool) -> None:
    doc = json.dumps({"config": {"mlps:environment": {**example, "extra": "@"}}}, indent=1)
    text = doc.replace('"@"', value)
    if as_json and value.startswith("."):
        text = doc.replace('"@"', "NaN")
    with pytest.raises(InputError) as info:
        parse(text, "huge.json" if as_json else "huge.yaml")
    assert len(info.value.lines()) == 1 and info.value.line().startswith("huge.")
