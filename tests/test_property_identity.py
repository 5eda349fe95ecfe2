"""Spelling variants of one person or one carrier never defeat CES-ACL-04 / CNS-REDUN-01; employee ids
tell people with one name apart and join one person under two names."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlps.checks import REGISTRY
from mlps.normalise import _CARRIERS

_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066"]


def _fullwidth(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


@st.composite
def variant(draw: st.DrawFn, name: str) -> str:
    out = []
    for c in name:
        c = draw(st.sampled_from([c, c.upper(), c.lower(), _fullwidth(c)]))
        out.append(c + draw(st.sampled_from(["", " ", "\t", *_INVISIBLE])))
    return draw(st.sampled_from(["", " ", *_INVISIBLE])) + "".join(out)


def _admins(a: str, b: str) -> dict[str, Any]:
    return {"admins": [{"full_name": a, "role": "system"}, {"full_name": b, "role": "security"}]}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Zhang Wei", "张伟", "li na"]).flatmap(variant))
def test_same_person_variants_still_flagged(name: str) -> None:
    base = name.replace(" ", "")
    assert list(REGISTRY["admin_roles_separated"](_admins(base, name), 3))


@settings(max_examples=200, deadline=None)
@given(variant("Zhang Wei"), variant("Zhang Wen"))
def test_different_people_stay_compliant(a: str, b: str) -> None:
    assert not list(REGISTRY["admin_roles_separated"](_admins(a, b), 3))


_PINYIN = [
    ("张伟", ("zhang", "wei")), ("李娜", ("li", "na")), ("曾敏", ("zeng", "min")),
    ("曾敏", ("ceng", "min")), ("单磊", ("shan", "lei")), ("解缙", ("xie", "jin")),
    ("仇英", ("qiu", "ying")), ("区志", ("ou", "zhi")), ("朴树", ("piao", "shu")),
    ("吕布", ("lü", "bu")), ("吕布", ("lyu", "bu")), ("欧阳修", ("ou", "yang", "xiu")),
]
"""Names in hanzi with a pinyin spelling of them (surname readings of polyphonic characters)."""


@st.composite
def pinyin_variant(draw: st.DrawFn, syllables: tuple[str, ...]) -> str:
    """The syllables joined by nothing, spaces, hyphens, dots or invisible characters, each letter
    in any case or full width."""
    seps = ["", " ", "-", ".", "\u3000", *_INVISIBLE]
    text = "".join(s + draw(st.sampled_from(seps)) for s in syllables)
    return "".join(draw(st.sampled_from([c, c.upper(), _fullwidth(c)])) for c in text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_PINYIN).flatmap(
    lambda pair: st.tuples(st.just(pair[0]), pinyin_variant(pair[1]), st.booleans())))
def test_hanzi_and_pinyin_of_one_person_flagged(case: tuple[str, str, bool]) -> None:
    hanzi, latin, hanzi_first = case
    assert list(REGISTRY["admin_roles_separated"](_admins(*((hanzi, latin) if hanzi_first else
                                                              (latin, hanzi))), 3))


_ANY_NAME = st.sampled_from(["张伟", "章伟", "Zhang Wei", "zhangwei", "李娜", "曾敏"])


@settings(max_examples=200, deadline=None)
@given(_ANY_NAME, _ANY_NAME, st.sampled_from(["H10023", "h10023", "\uff2810023"]))
def test_same_employee_id_is_one_person_whatever_the_names(a: str, b: str, other_id: str) -> None:
    spec = _admins(a, b)
    spec["admins"][0]["employee_id"], spec["admins"][1]["employee_id"] = "H10023", other_id
    assert list(REGISTRY["admin_roles_separated"](spec, 3))


@settings(max_examples=200, deadline=None)
@given(_ANY_NAME, _ANY_NAME)
def test_different_employee_ids_are_different_people_whatever_the_names(a: str, b: str) -> None:
    spec = _admins(a, b)
    spec["admins"][0]["employee_id"], spec["admins"][1]["employee_id"] = "H10023", "H20417"
    assert not list(REGISTRY["admin_roles_separated"](spec, 3))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_CARRIERS)).flatmap(
    lambda k: st.tuples(st.sampled_from(_CARRIERS[k]), st.sampled_from(_CARRIERS[k]))))
def test_one_carrier_aliases_flagged(pair: tuple[str, str]) -> None:
    spec = {"layout": "hybrid", "links": [{"carrier": pair[0]}, {"carrier": pair[1]}]}
    assert list(REGISTRY["links_distinct_carriers"](spec, 3))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(_CARRIERS["china-telecom"]), st.sampled_from(_CARRIERS["china-unicom"]))
def test_two_carriers_compliant(a: str, b: str) -> None:
    spec = {"layout": "hybrid", "links": [{"carrier": a}, {"carrier": b}]}
    assert not list(REGISTRY["links_distinct_carriers"](spec, 3))
