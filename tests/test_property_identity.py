"""Spelling variants of one person or one carrier never defeat CES-ACL-04 / CNS-REDUN-01; employee ids
tell people with one name apart and join one person under two names."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlps.carriers import _CARRIERS, _CITIES, _PROVINCES
from mlps.checks import REGISTRY
from mlps.normalise import CONFUSABLES

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


_LOOKALIKES: dict[str, list[str]] = {}
for _k, _v in CONFUSABLES.items():
    _LOOKALIKES.setdefault(_v, []).append(_k)


@st.composite
def written(draw: st.DrawFn, hanzi: str, latin: tuple[str, str]) -> str:
    """One person's name as people write it: hanzi or pinyin (either order, SURNAME, Given),
    a title or honorific, the other script beside it or in brackets, a role label in brackets,
    Latin letters swapped for Cyrillic or Greek look-alikes."""
    surname, given = latin
    core = draw(st.sampled_from([hanzi, f"{surname} {given}", f"{given} {surname}",
                                 f"{surname.upper()}, {given}", f"{given.upper()}, {surname}"]))
    core = "".join(draw(st.sampled_from([c, *_LOOKALIKES.get(c, [])])) for c in core)
    if core == hanzi:
        core += draw(st.sampled_from(["", "先生", "老师", f" {surname} {given}"]))
    else:
        core = draw(st.sampled_from(["", "Mr. ", "Dr ", "Prof. ", "Ms "])) + core
    return core + draw(st.sampled_from(["", f" ({hanzi})", "（系统）", " [security admin]", "【审计】"]))


@settings(max_examples=300, deadline=None)
@given(written("张伟", ("Zhang", "Wei")), written("张伟", ("Zhang", "Wei")))
def test_written_forms_of_one_person_flagged(a: str, b: str) -> None:
    assert list(REGISTRY["admin_roles_separated"](_admins(a, b), 3))


@settings(max_examples=300, deadline=None)
@given(written("张伟", ("Zhang", "Wei")), written("李娜", ("Li", "Na")))
def test_written_forms_of_two_people_stay_compliant(a: str, b: str) -> None:
    assert not list(REGISTRY["admin_roles_separated"](_admins(a, b), 3))


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


_NATIONAL = {"china-telecom": "中国电信", "china-unicom": "中国联通", "china-mobile": "中国移动",
             "china-broadnet": "中国广电"}
_TRADITIONAL = str.maketrans("国电联动广东", "國電聯動廣東")


@st.composite
def branch_name(draw: st.DrawFn, carrier: str) -> str:
    """A national carrier as a city or provincial branch, under a legal name, or in traditional
    characters."""
    name = _NATIONAL[carrier]
    place = draw(st.sampled_from([p[0] for p in (*_PROVINCES, *_CITIES)]))
    place += draw(st.sampled_from(["", "市"] if place in dict(_CITIES) else ["", "省"]))
    legal = draw(st.sampled_from(["", "有限公司", "集团有限公司", "股份有限公司"]))
    text = draw(st.sampled_from([f"{place}{name[2:]}", f"{name}{legal}{place}分公司",
                                 f"{name}{legal}", f"{name}{place}公司"]))
    return text.translate(_TRADITIONAL) if draw(st.booleans()) else text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_NATIONAL)).flatmap(
    lambda k: st.tuples(branch_name(k), st.sampled_from(_CARRIERS[k]))))
def test_branches_and_legal_names_of_one_carrier_flagged(pair: tuple[str, str]) -> None:
    spec = {"layout": "hybrid", "links": [{"carrier": pair[0]}, {"carrier": pair[1]}]}
    assert list(REGISTRY["links_distinct_carriers"](spec, 3))


@settings(max_examples=300, deadline=None)
@given(st.permutations(sorted(_NATIONAL)).flatmap(
    lambda ks: st.tuples(branch_name(ks[0]), branch_name(ks[1]))))
def test_branches_of_two_carriers_compliant(pair: tuple[str, str]) -> None:
    spec = {"layout": "hybrid", "links": [{"carrier": pair[0]}, {"carrier": pair[1]}]}
    assert not list(REGISTRY["links_distinct_carriers"](spec, 3))
