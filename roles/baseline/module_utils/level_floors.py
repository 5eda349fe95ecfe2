"""The bounds the protection level sets on values a role is given (GB/T 22239-2019 x.1.4.1 a, b
and d as GB/T 28448-2019 measures them; Cybersecurity Law art. 21 for retention). Verify judges
the host against the configured value or the level's bound, whichever is stricter, and reports
each configured value against its bound: a host set up below its level fails, whatever it was
told. No import of its own, so that each role judging such values can carry it."""

from __future__ import annotations

from typing import Any

_WORDS = {"minimum": ">=", "maximum": "<="}


def at_floors(expect: dict[str, Any], floors: dict[str, dict[str, Any]],
              level: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``expect`` with each bounded value made at least as strict as its bound in ``floors``
    (probe key -> ``{control, minimum | maximum, spec[, zero: strictest]}``), and one result per
    bound: pass when the configured value is within it. A value of 0 or less under a maximum
    turns the thing off and is beyond it; under a minimum marked ``zero: strictest`` 0 is within
    it. Bounds that are not a mapping, a bound without minimum or maximum, or one for a value
    ``expect`` lacks, are a ValueError."""
    if not isinstance(floors, dict):
        raise ValueError(f"level {level} bounds: a mapping of value to bound, not {type(floors).__name__}")
    out = dict(expect)
    results = []
    for key, rule in sorted(floors.items()):
        keyword = next((k for k in _WORDS if isinstance(rule, dict) and k in rule), None)
        if keyword is None or key not in out:
            raise ValueError(f"level {level} bound of {key!r}: needs the value and a minimum or maximum")
        given, bound = int(out[key]), int(rule[keyword])
        if given == 0 and rule.get("zero") == "strictest":
            out[key] = given  # 0 is the strictest setting (faillock: never unlock)
        elif keyword == "minimum":
            out[key] = max(given, bound)
        else:  # 0 or less turns a limited thing off (no lockout, no idle limit): beyond any maximum
            out[key] = min(given, bound) if given > 0 else bound
        results.append({
            "control": rule["control"],
            "check": f"configured {key} within the level {level} bound",
            "status": "pass" if out[key] == given else "fail",
            "observed": given,
            "expected": f"{_WORDS[keyword]} {bound}",
            **({} if out[key] == given else {
                "detail": f"the host is judged against {bound}, not the configured {given}"}),
        })
    return out, results
