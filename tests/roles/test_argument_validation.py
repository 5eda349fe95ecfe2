"""Every role checks its arguments before it uses one: for each role and entry point, a variable
given a value outside its choices (at the top or inside a list or dict item) and a required
variable left out stop the run at the argument validation task, with one message that names the
variable and the allowed values, not a templating error from a default that used the bad value.
The cases are generated from meta/argument_specs.yml, so a new enumerated or required variable is
covered without a new test. Runs ansible-playbook against localhost (connection local, check
mode, only the role tasks tagged ``always``): no lab needed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.ansible_run import PROJECT_ROOT

pytestmark = pytest.mark.slow

ROLES_DIR = PROJECT_ROOT / "roles"
VALIDATION_TASK = "Validating arguments against arg spec"
PROBE_TAG = "mlps-argument-probe"


@dataclass(frozen=True)
class Case:
    """One run of a role entry point with one variable wrong or missing."""

    id: str
    role: str
    entry: str
    variables: dict[str, Any]
    expected: tuple[str, ...]  # each must appear in the one error line


def _specs() -> dict[str, dict[str, Any]]:
    """Role name → its argument_specs (entry point → spec)."""
    found = {}
    for path in sorted(ROLES_DIR.glob("*/meta/argument_specs.yml")):
        found[path.parent.parent.name] = yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"]
    return found


def _sample(option: dict[str, Any]) -> Any:
    """A value the validator accepts for ``option`` (first choice, else one of its type)."""
    if "choices" in option:
        return option["choices"][0]
    kind = option.get("type", "str")
    if kind == "dict":
        return _filled(option.get("options") or {})
    if kind == "list":
        return []
    return {"int": 1, "float": 1.0, "bool": True, "path": "/nonexistent/mlps-probe"}.get(kind, "probe")


def _filled(options: dict[str, Any]) -> dict[str, Any]:
    """A dict with every required sub-option given a valid value."""
    return {name: _sample(option) for name, option in options.items() if option.get("required")}


def _wrong(choices: list[Any]) -> Any:
    """A value of the choices' type that is none of them."""
    if all(isinstance(choice, int) and not isinstance(choice, bool) for choice in choices):
        return max(choices) + 1
    return "not-one-of-the-choices"


def _with_wrong(option: dict[str, Any], path: list[str], wrong: Any) -> Any:
    """The value of ``option`` whose sub-option at ``path`` is ``wrong`` (others valid)."""
    if not path:
        return wrong
    item = _filled(option.get("options") or {})
    item[path[0]] = _with_wrong(option["options"][path[0]], path[1:], wrong)
    return [item] if option.get("type") == "list" else item


def _enumerated(options: dict[str, Any], path: list[str]) -> list[tuple[list[str], dict[str, Any]]]:
    """(path, option) of every option with choices, nested ones included."""
    found = []
    for name, option in options.items():
        if "choices" in option:
            found.append(([*path, name], option))
        if option.get("options"):
            found.extend(_enumerated(option["options"], [*path, name]))
    return found


def _cases() -> list[Case]:
    cases = []
    for role, entries in _specs().items():
        for entry, spec in entries.items():
            options = spec.get("options") or {}
            required = {name: _sample(option) for name, option in options.items() if option.get("required")}
            for path, option in _enumerated(options, []):
                wrong = _wrong(option["choices"])
                top = path[0]
                variables = dict(required)
                variables[top] = _with_wrong(options[top], path[1:], wrong)
                allowed = ", ".join(str(choice) for choice in option["choices"])
                expected = (f"value of {path[-1]} must be one of: {allowed}, got: {wrong}", top)
                case_id = f"{role}:{entry}:{'.'.join(path)}={wrong}"
                cases.append(Case(case_id, role, entry, variables, expected))
            for name in required:
                variables = {other: value for other, value in required.items() if other != name}
                expected = ("missing required arguments:", name)
                cases.append(Case(f"{role}:{entry}:{name}=missing", role, entry, variables, expected))
    return cases


CASES = _cases()
# Valid levels whose values the baseline takes from its profiles (level 4: the level-3 ones).
LEVELS = {2: 8, 3: 12, 4: 12}


def _include(role: str, entry: str) -> dict[str, Any]:
    args: dict[str, Any] = {"name": role}
    if entry != "main":
        args["tasks_from"] = entry
    return {"ansible.builtin.include_role": args}


def _write_records(out: Path) -> dict[str, Any]:
    dest = str(out / "{{ inventory_hostname }}.json")
    return {"name": "Write the records", "check_mode": False, "ansible.builtin.copy": {
        "content": "{{ probe_records | to_json }}", "dest": dest, "mode": "0600"}}


def _playbook(out: Path) -> list[dict[str, Any]]:
    start = {"name": "Start with no record", "ansible.builtin.set_fact": {"probe_records": {}}}
    cases: list[dict[str, Any]] = [start]
    for number, case in enumerate(CASES):
        cases.append({
            "name": f"Case {number}",
            "vars": case.variables,
            "block": [{"name": f"Run case {number}", **_include(case.role, case.entry)}],
            "rescue": [{
                "name": f"Record case {number}",
                "ansible.builtin.set_fact": {"probe_records": "{{ probe_records | combine({"
                                             + repr(case.id) + ": {'task': ansible_failed_task.name, "
                                             "'errors': ansible_failed_result.argument_errors "
                                             "| default([ansible_failed_result.msg])}}) }}"},
            }],
        })
    plays: list[dict[str, Any]] = [
        {"name": "Wrong and missing variables", "hosts": "cases", "tasks": [*cases, _write_records(out)]}]
    # One host per level: the values a run takes are host facts for the rest of that run.
    for level in LEVELS:
        plays.append({"name": f"Level {level}", "hosts": f"level-{level}", "vars": {"baseline_level": level},
                      "tasks": [start, {
                          "name": f"Run the baseline at level {level}",
                          "block": [_include("baseline", "main"), {
                              "name": f"Record level {level}", "ansible.builtin.set_fact": {"probe_records": {
                                  "password_min_length": "{{ baseline_password_min_length }}",
                                  "intrusion_detection": "{{ baseline_intrusion_detection }}",
                                  "auditd_settings": "{{ baseline_auditd_settings }}"}}}],
                          "rescue": [{"name": f"Record level {level} refused", "ansible.builtin.set_fact": {
                              "probe_records": {"errors": ["{{ ansible_failed_result.msg }}"]}}}],
                      }, _write_records(out)]})
    for play in plays:
        play["gather_facts"] = False
        _tag(play["tasks"])
    return plays


def _tag(tasks: list[dict[str, Any]]) -> None:
    """Tag the leaf tasks only: a role included under a tagged block would inherit the tag and
    run whole, while under ``--tags`` an untagged role task does not run."""
    for task in tasks:
        if "block" in task:
            _tag(task["block"])
            _tag(task.get("rescue", []))
        else:
            task["tags"] = [PROBE_TAG]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("argspec")
    out = work / "records"
    out.mkdir()
    playbook = work / "probe.yml"
    playbook.write_text(json.dumps(_playbook(out)), encoding="utf-8")
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(ROLES_DIR),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
    }
    bindir = Path(sys.executable).parent
    hosts = ",".join(["cases", *(f"level-{level}" for level in LEVELS)]) + ","
    proc = subprocess.run(
        [str(bindir / "ansible-playbook"), "-i", hosts, "--check", "--tags", PROBE_TAG,
         "-e", json.dumps({"ansible_connection": "local", "ansible_python_interpreter": sys.executable}),
         str(playbook)],
        cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in out.glob("*.json")}


def test_every_role_with_choices_or_required_variables_has_cases() -> None:
    """The walk over the specs misses no role: checked against a plain reading of the files."""
    declaring = {path.parent.parent.name for path in ROLES_DIR.glob("*/meta/argument_specs.yml")
                 if re.search(r"\bchoices:|\brequired: true\b", path.read_text(encoding="utf-8"))}
    assert declaring, "no role declares an enumerated or required variable"
    assert declaring <= {case.role for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_wrong_or_missing_variable_stops_the_role_at_validation_with_its_name(
        case: Case, records: dict[str, Any]) -> None:
    record = records["cases"].get(case.id)
    assert record is not None, f"{case.id}: the role ran past its argument validation"
    assert record["task"].startswith(VALIDATION_TASK), f"failed in {record['task']!r}: {record['errors']}"
    # Exactly one complaint, about this variable: no other default was broken by the bad value.
    assert len(record["errors"]) == 1, record["errors"]
    for text in case.expected:
        assert text in record["errors"][0], record["errors"]


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_each_valid_level_takes_its_own_profile(level: int, records: dict[str, Any]) -> None:
    record = records[f"level-{level}"]
    assert "errors" not in record, record
    assert int(record["password_min_length"]) == LEVELS[level]
    assert bool(record["intrusion_detection"]) is (level >= 3)
    assert record["auditd_settings"]["disk_full_action"] == ("syslog" if level == 2 else "single")
