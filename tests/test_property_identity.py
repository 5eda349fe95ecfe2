"""Spelling variants of one person or one carrier never defeat CES-ACL-04 / CNS-REDUN-01."""

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
