"""The fixture corpus: each failing variant fires exactly its controls; passing ones fire none."""

from __future__ import annotations

import pytest

from mlps.controls import catalog
from mlps.errors import InputError
from mlps.validate import validate
from tests.corpus_support import Fixture, fixtures, materialise

ALL = fixtures()


@pytest.mark.parametrize("fixture", ALL, ids=[f.id for f in ALL])
def test_fixture_fires_exactly_its_controls(fixture: Fixture) -> None:
    if fixture.error:
        with pytest.raises(InputError) as caught:
            materialise(fixture)
        line = caught.value.line()
        missing = [text for text in fixture.error if text not in line]
        assert not missing, f"{fixture.path}: {fixture.description}: {line!r} lacks {missing}"
        assert "\n" not in line and " — " in line, f"{fixture.path}: one line with what to do"
        return
    spec = materialise(fixture)
    result = validate(spec, level=fixture.level)
    fired = {f.control for f in result.findings if f.status == "fail"}
    if fixture.kind == "pass":
        assert fired == set(), f"{fixture.path}: expected no findings, got {sorted(fired)}"
    else:
        assert fired == set(fixture.expect), f"{fixture.path}: {fixture.description}"


def test_fixture_names_and_expectations_are_well_formed() -> None:
    cat = catalog()
    for f in ALL:
        assert f.kind in ("pass", "fail"), f"{f.path}: name must start with pass- or fail-"
        assert cat.get(f.control), f"{f.path}: folder {f.control} is not a control id"
        if f.kind == "fail" and f.error:
            assert not f.expect, f"{f.path}: an input-error fixture expects no findings"
        elif f.kind == "fail":
            assert f.control in f.expect, f"{f.path}: must expect its own control {f.control}"
            unknown = {c for c in f.expect if cat.get(c) is None}
            assert not unknown, f"{f.path}: unknown control ids {sorted(unknown)}"


def test_every_spec_rule_has_a_passing_and_a_failing_fixture() -> None:
    kinds: dict[str, set[str]] = {}
    for f in ALL:
        kinds.setdefault(f.control, set()).add(f.kind)
    missing = [c.id for c in catalog() if (c.spec_rules or c.spec_checks)
               and kinds.get(c.id, set()) != {"pass", "fail"}]
    assert not missing, f"controls with spec rules lacking a pass or fail fixture: {missing}"


def test_corpus_has_at_least_forty_failing_variants() -> None:
    assert sum(f.kind == "fail" for f in ALL) >= 40
