"""CNS-BW-01: each dedicated line carries the day's bulk volume (its own daily_gb, replicated
buckets, the off-site backup) within 70% of the backup window, in each direction, alone.

Thresholds one step inside and outside: at 100 Mbit/s and an 8-hour window the limit is
5.6 h = 252 GB; at 200 Mbit/s it is 504 GB."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from mlps.checks import REGISTRY
from mlps.checks.bandwidth import HEADROOM, derived_volume, hours_needed
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")
CHECK = REGISTRY["lines_carry_daily_volume"]


def spec_with(**changes: Any) -> dict[str, Any]:
    """The hybrid example (effective) with offsite daily_gb, window, line rates changed."""
    spec = copy.deepcopy(dict(HYBRID.effective))
    if "offsite" in changes:
        spec["backup"]["offsite"]["daily_gb"] = changes["offsite"]
    if "window" in changes:
        spec["backup"]["window_hours"] = changes["window"]
    for i, rates in enumerate(changes.get("rates", [])):
        spec["links"][i]["bandwidth_mbps"] = rates
    for i, daily in enumerate(changes.get("daily", [])):
        if daily is not None:
            spec["links"][i]["daily_gb"] = daily
    if "replication" in changes:
        spec["object_storage"]["buckets"][2]["replication"] = changes["replication"]
    return spec


def pointers(spec: dict[str, Any], level: int = 3) -> list[str]:
    return [p for p, _, _ in CHECK(spec, level)]


def test_the_example_declares_its_offsite_volume_and_fits() -> None:
    assert HYBRID.effective["backup"]["offsite"]["daily_gb"] == 120
    assert HYBRID.effective["backup"]["window_hours"] == 8
    assert pointers(dict(HYBRID.effective)) == []


@pytest.mark.parametrize(("gb", "fired"), [
    (252, []),
    (Fraction(25201, 100), ["/links/1/bandwidth_mbps/up"]),
    (252.01, ["/links/1/bandwidth_mbps/up"]),
    (504, ["/links/1/bandwidth_mbps/up"]),
    (504.01, ["/links/0/bandwidth_mbps/up", "/links/1/bandwidth_mbps/up"]),
])
def test_offsite_volume_just_inside_and_just_outside(gb: Any, fired: list[str]) -> None:
    assert pointers(spec_with(offsite=float(gb))) == fired


@pytest.mark.parametrize(("window", "fired"), [
    (4, []),  # 2.8 h allowed: 120 GB takes 2.67 h at 100 Mbit/s
    (3, ["/links/1/bandwidth_mbps/up"]),  # 2.1 h allowed
    (1, ["/links/0/bandwidth_mbps/up", "/links/1/bandwidth_mbps/up"]),  # 0.7 h < 1.33 h
])
def test_window_hours(window: int, fired: list[str]) -> None:
    assert (hours_needed(Fraction(120), 100) <= window * HEADROOM) == (not fired)
    assert pointers(spec_with(window=window)) == fired


def test_asymmetric_line_names_upstream_as_the_bottleneck() -> None:
    spec = spec_with(rates=[{"up": 20, "down": 200}])
    [(pointer, zh, en)] = CHECK(spec, 3)
    assert pointer == "/links/0/bandwidth_mbps/up"
    assert en == ("Line line-ct must carry 120 GB upstream a day: 13.34 h at its 20 Mbit/s, "
                  "more than 70% of the 8 h backup window (5.60 h). The line is asymmetric "
                  "(up 20 < down 200 Mbit/s): upstream is the bottleneck. Raise its upstream "
                  "bandwidth to at least 48 Mbit/s, lengthen backup.window_hours, or "
                  "replicate less across the lines.")
    assert "13.34 小时" in zh and "上行是瓶颈" in zh and "至少 48 Mbit/s" in zh


def test_symmetric_line_has_no_asymmetry_note() -> None:
    [(_, _, en)] = CHECK(spec_with(offsite=300), 3)
    assert "asymmetric" not in en and "3 h" not in en
    assert "6.67 h at its 100 Mbit/s" in en


@pytest.mark.parametrize(("gb", "fired"), [(252, []), (253, ["/links/1/bandwidth_mbps/down"])])
def test_bucket_replication_downstream(gb: int, fired: list[str]) -> None:
    spec = spec_with(replication={"daily_gb": gb, "direction": "down"})
    assert derived_volume(spec) == {"up": 120, "down": gb}
    assert pointers(spec) == fired


def test_bucket_replication_defaults_upstream_and_adds_to_offsite() -> None:
    spec = spec_with(replication={"daily_gb": 133})
    assert derived_volume(spec) == {"up": 253, "down": 0}
    assert pointers(spec) == ["/links/1/bandwidth_mbps/up"]


@pytest.mark.parametrize(("daily", "fired"), [
    ({"up": 384}, []),
    ({"up": 385}, ["/links/0/bandwidth_mbps/up"]),
    ({"down": 504}, []),
    ({"down": 505}, ["/links/0/bandwidth_mbps/down"]),
])
def test_a_lines_own_daily_volume(daily: dict[str, int], fired: list[str]) -> None:
    assert pointers(spec_with(daily=[daily])) == fired


def test_disabled_offsite_sends_nothing() -> None:
    spec = spec_with(offsite=10_000)
    spec["backup"]["offsite"]["enabled"] = False
    assert pointers(spec) == []


def test_level_2_does_not_check_and_level_4_does() -> None:
    data = copy.deepcopy(HYBRID.data)
    data["backup"]["offsite"]["daily_gb"] = 5000
    loaded = spec_from_config(data, "spec.yaml")
    fired = {lvl: {f.control for f in validate(loaded, level=lvl).findings} for lvl in (2, 4)}
    assert "CNS-BW-01" not in fired[2] and "CNS-BW-01" in fired[4]


@pytest.mark.parametrize("spec", [
    {}, {"links": "x"}, {"links": [{"bandwidth_mbps": "fast"}]},
    {"links": [{"bandwidth_mbps": {"up": True, "down": 0}}], "backup": {"window_hours": 0}},
    {"links": [{"bandwidth_mbps": {"up": 1}, "daily_gb": {"up": -5}}],
     "backup": {"offsite": {"daily_gb": "lots"}},
     "object_storage": {"buckets": [{"replication": {"daily_gb": 1, "direction": "sideways"}},
                                    {"replication": 3}]}},
])
def test_odd_shapes_never_crash(spec: dict[str, Any]) -> None:
    assert pointers(spec) == []


@pytest.mark.parametrize(("gb", "window", "suggested"), [
    (63, 5, 40),  # exactly 40 Mbit/s for 3.5 h
    (63.01, 5, 41),  # a hair over 40: the next whole rate
    (50, 4, 40),
    (252.5, 8, 101),
])
def test_suggested_rate_is_the_smallest_that_passes(gb: float, window: int, suggested: int) -> None:
    def spec(down: int) -> dict[str, Any]:
        return {"backup": {"window_hours": window},
                "links": [{"name": "cu", "daily_gb": {"down": gb}, "bandwidth_mbps": {"down": down}}]}

    [(_, _, en)] = CHECK(spec(1), 3)
    assert f"downstream bandwidth to at least {suggested} Mbit/s" in en
    assert list(CHECK(spec(suggested), 3)) == []
    assert [p for p, _, _ in CHECK(spec(suggested - 1), 3)] == ["/links/0/bandwidth_mbps/down"]
