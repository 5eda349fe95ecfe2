"""Validation engine and its messages, pinned where a mutation run showed the other tests let a
change through: the exact zh/en wording of every keyword `describe` knows (a finding an auditor
reads must say what was found and what is required), the 80-character cut of shown values, and
the rule index and pointer `_compile` reads from each allOf entry of a level schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlps.controls import Catalog, load_catalog
from mlps.errors import InputError
from mlps.levels import CONTROL_KEY
from mlps.schema_engine import PythonEngine, RustEngine, SchemaError, compile_schema
from mlps.spec import load_spec
from mlps.validate import validate
from mlps.validate.engine import _compile, check_level
from mlps.validate.messages import describe, show

HYBRID = Path(__file__).resolve().parents[2] / "Pulumi.hybrid-prod.yaml"


def error(keyword: str, expected: Any, instance: Any, message: str = "engine says no") -> SchemaError:
    return SchemaError(pointer="/a", schema_path=("allOf", 0), keyword=keyword, expected=expected,
                       subschema={}, instance=instance, message=message)


# --- show: JSON, readable Chinese, cut at 80 characters ------------------------------------------


def test_show_keeps_chinese_readable() -> None:
    assert show("三级") == '"三级"'
    assert show({"级别": 3}) == '{"级别": 3}'


def test_show_keeps_exactly_80_characters_and_cuts_81() -> None:
    assert show("a" * 78) == '"' + "a" * 78 + '"'  # 80 characters with the quotes
    cut = show("a" * 79)  # 81 with the quotes
    assert cut == '"' + "a" * 76 + "..." and len(cut) == 80


# --- describe: one wording per keyword -----------------------------------------------------------


@pytest.mark.parametrize(("keyword", "expected", "instance", "zh", "en"), [
    ("const", 2, 1, "/a 为 1，要求为 2", "/a is 1; required: 2"),
    ("const", "是", "否", '/a 为 "否"，要求为 "是"', '/a is "否"; required: "是"'),
    ("enum", ["x", "y"], "z", '/a 为 "z"，要求为 "x"、"y" 之一', '/a is "z"; required: one of "x", "y"'),
    ("minimum", 3, 1, "/a 为 1，要求不小于 3", "/a is 1; required: at least 3"),
    ("maximum", 3, 5, "/a 为 5，要求不大于 3", "/a is 5; required: at most 3"),
    ("exclusiveMinimum", 3, 3, "/a 为 3，要求大于 3", "/a is 3; required: more than 3"),
    ("exclusiveMaximum", 3, 3, "/a 为 3，要求小于 3", "/a is 3; required: less than 3"),
    ("minItems", 2, ["x"], "/a 为 1，要求条目数不少于 2", "/a is 1; required: at least this many items: 2"),
    ("maxItems", 1, ["x", "y"], "/a 为 2，要求条目数不多于 1",
     "/a is 2; required: at most this many items: 1"),
    ("minLength", 3, "ab", "/a 为 2，要求长度不少于 3", "/a is 2; required: length at least 3"),
    ("minProperties", 2, {"k": 1}, "/a 为 1，要求键数不少于 2",
     "/a is 1; required: at least this many keys: 2"),
    ("required", ["k", "m", "n"], {"k": 1}, "/a 缺少 m, n", "/a lacks m, n"),
    ("contains", {"const": 1}, [2], "/a 中没有满足要求的条目", "/a has no item that meets the requirement"),
    ("not", {}, 1, "/a 为 1，该取值不被允许", "/a is 1, which is not allowed"),
    ("false", False, 1, "/a 为 1，该取值不被允许", "/a is 1, which is not allowed"),
    ("pattern", "^x$", "ab", '/a 为 "ab"，不符合要求的格式 ^x$', '/a is "ab"; it must match ^x$'),
    ("type", "string", 1, "/a：engine says no", "/a: engine says no"),
    ("required", ["k"], [1], "/a：engine says no", "/a: engine says no"),  # not an object
])
def test_describe_says_what_was_found_and_what_is_required(keyword: str, expected: Any,
                                                           instance: Any, zh: str, en: str) -> None:
    assert describe(error(keyword, expected, instance), "/a") == (zh, en)


def test_describe_names_the_root_as_slash() -> None:
    assert describe(error("const", 1, 2), "") == ("/ 为 2，要求为 1", "/ is 2; required: 1")


def test_describe_cuts_long_values_on_both_sides() -> None:
    zh, en = describe(error("enum", ["b" * 100], "a" * 100), "/a")
    cut_a, cut_b = '"' + "a" * 76 + "...", '"' + "b" * 76 + "..."
    assert zh == f"/a 为 {cut_a}，要求为 {cut_b} 之一"
    assert en == f"/a is {cut_a}; required: one of {cut_b}"


BOUNDS = [
    ({"exclusiveMinimum": 5}, 5, "/n is 5; required: more than 5"),
    ({"exclusiveMaximum": 5}, 5, "/n is 5; required: less than 5"),
    ({"minimum": 5}, 4, "/n is 4; required: at least 5"),
    ({"maximum": 5}, 6, "/n is 6; required: at most 5"),
    ({"minItems": 2}, [1], "/n is 1; required: at least this many items: 2"),
    ({"maxItems": 1}, [1, 2], "/n is 2; required: at most this many items: 1"),
    ({"minLength": 2}, "a", "/n is 1; required: length at least 2"),
    ({"minProperties": 1}, {}, "/n is 0; required: at least this many keys: 1"),
]


@pytest.mark.parametrize("engine", ["rs", "python"])
@pytest.mark.parametrize(("rule", "value", "en"), BOUNDS)
def test_each_engine_names_its_keywords_as_describe_expects(engine: str, rule: dict[str, Any],
                                                            value: Any, en: str) -> None:
    compiled = compile_schema({"properties": {"n": rule}}, engine)
    [err] = list(compiled.iter_errors({"n": value}))
    assert describe(err, err.pointer)[1] == en


# --- _compile: one (control, rule index, pointer) per allOf entry -------------------------------


def test_compile_reads_control_rule_index_and_pointer_of_each_entry() -> None:
    schema = {"allOf": [
        {CONTROL_KEY: "TST-A-01", "x-mlps-rule": 2, "x-mlps-pointer": "/bastion/mfa"},
        {CONTROL_KEY: "TST-B-01", "x-mlps-rule": "1"},
        {CONTROL_KEY: "TST-C-01"},
    ]}
    _, entries = _compile(schema, "python")
    assert entries == (("TST-A-01", 2, "/bastion/mfa"), ("TST-B-01", 1, ""), ("TST-C-01", 0, ""))


def test_compile_of_a_schema_without_rules_has_no_entries() -> None:
    compiled, entries = _compile({"type": "object"}, "python")
    assert entries == () and compiled.is_valid({})


@pytest.mark.parametrize(("engine", "kind"), [("python", PythonEngine), ("rs", RustEngine)])
def test_compile_uses_the_engine_asked_for(engine: str, kind: type) -> None:
    compiled, _ = _compile({"allOf": [{CONTROL_KEY: "TST-A-01", "const": 1}]}, engine)
    assert isinstance(compiled, kind)
    assert not compiled.is_valid(2) and compiled.is_valid(1)


# --- validate and check_level on the small catalog of tests/unit/catalog_fixture ----------------


@pytest.fixture(scope="module")
def small() -> Catalog:
    return load_catalog(Path(__file__).parent / "catalog_fixture")


def test_validate_result_names_its_spec_level_and_checked_controls(small: Catalog) -> None:
    spec = load_spec(HYBRID)
    spec.effective["bastion"]["mfa"] = "none"
    result = validate(spec, level=4, cat=small)
    assert result.spec is spec and result.level == 4
    assert result.checked == set(small.spec_checked(4)) and "TST-MFA-01" in result.checked
    [finding] = result.findings
    control = small.controls["TST-MFA-01"]
    assert finding.message_zh.startswith(f"{control.title.zh}：") and "totp" in finding.message_zh
    assert finding.remediation_zh == control.remediation.zh and finding.remediation_zh


def test_named_check_finding_carries_its_chinese_message(small: Catalog) -> None:
    spec = load_spec(HYBRID)
    links = spec.effective["links"]
    links[1]["carrier"] = links[0]["carrier"]
    [finding] = validate(spec, cat=small).findings
    assert finding.message_zh.endswith("专线运营商相同")


@pytest.mark.parametrize("level", [1, 5, None])
def test_a_level_outside_2_to_4_is_one_line_naming_the_file(level: int | None) -> None:
    with pytest.raises(InputError) as caught:
        check_level(level, "Pulumi.x.yaml")
    assert caught.value.line() == (f"Pulumi.x.yaml: level {level} is not a 等保 level mlps checks"
                                   " — use --level 2, 3 or 4")
