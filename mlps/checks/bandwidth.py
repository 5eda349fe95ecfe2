"""Dedicated-line bandwidth against the bulk data that must cross it every day.

The day's volume per direction (GB, 10^9 bytes) that a line must carry is its own
``links[].daily_gb`` plus what is derived from the spec: every bucket's
``replication.daily_gb`` in its direction and the off-site backup's ``backup.offsite.daily_gb``
upstream. Any line may be the only one left when the other fails, so each line must carry the
whole volume alone within ``backup.window_hours``, using at most ``HEADROOM`` of its rate (the
line is shared with clinical traffic).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section

HEADROOM = Fraction(7, 10)
"""Share of a line's rate a bulk transfer may use; the rest stays for clinical traffic."""
DEFAULT_WINDOW_HOURS = 8
MBIT_PER_GB = 8000
DIRECTIONS = ("up", "down")
WORDS = {"up": ("上行", "upstream"), "down": ("下行", "downstream")}


def _number(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return Fraction(value)


def _pair(value: Any, key: str) -> Fraction | None:
    return _number(value.get(key)) if isinstance(value, dict) else None


def derived_volume(spec: Spec) -> dict[str, Fraction]:
    """GB per direction that replicated buckets and the off-site backup send over the lines."""
    need = {d: Fraction(0) for d in DIRECTIONS}
    for _, bucket in items(section(spec, "object_storage"), "buckets"):
        replication = bucket.get("replication")
        gb = _pair(replication, "daily_gb")
        direction = replication.get("direction", "up") if isinstance(replication, dict) else None
        if gb is not None and direction in need:
            need[direction] += gb
    offsite = section(section(spec, "backup"), "offsite")
    gb = _number(offsite.get("daily_gb"))
    if gb is not None and offsite.get("enabled", True) is not False:
        need["up"] += gb
    return need


def hours_needed(gb: Fraction, mbps: int) -> Fraction:
    """Hours ``gb`` takes at ``mbps`` Mbit/s."""
    return gb * MBIT_PER_GB / (mbps * 3600)


def lines_carry_daily_volume(spec: Spec, level: int) -> Iterator[Problem]:
    """Each line moves the day's bulk volume in each direction within the backup window,
    using at most HEADROOM of its rate."""
    window = section(spec, "backup").get("window_hours", DEFAULT_WINDOW_HOURS)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        return
    limit = window * HEADROOM
    derived = derived_volume(spec)
    for i, line in items(spec, "links"):
        rates = line.get("bandwidth_mbps")
        if not isinstance(rates, dict):
            continue
        for direction in DIRECTIONS:
            rate = rates.get(direction)
            if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
                continue
            gb = derived[direction] + (_pair(line.get("daily_gb"), direction) or 0)
            if gb == 0:
                continue
            hours = hours_needed(gb, rate)
            if hours <= limit:
                continue
            zh_dir, en_dir = WORDS[direction]
            other = rates.get("down")
            asym_zh = asym_en = ""
            if direction == "up" and isinstance(other, int) and other > rate:
                asym_zh = (f"该线路不对称（上行 {rate} < 下行 {other} Mbit/s），上行是瓶颈；")
                asym_en = (f" The line is asymmetric (up {rate} < down {other} Mbit/s): "
                           "upstream is the bottleneck.")
            gb_text = f"{float(gb):g}"
            yield (
                f"/links/{i}/bandwidth_mbps/{direction}",
                f"线路 {line.get('name')} 每天需{zh_dir}传输 {gb_text} GB，按其 {rate} Mbit/s "
                f"需 {_hours(hours)} 小时，超过 {window} 小时备份窗口的 "
                f"{int(HEADROOM * 100)}%（{float(limit):.2f} 小时）；{asym_zh}"
                f"应把{zh_dir}带宽提高到至少 {_rate_for(gb, limit)} Mbit/s、延长 "
                "backup.window_hours，或减少跨线路复制的数据量。",
                f"Line {line.get('name')} must carry {gb_text} GB {en_dir} a day: "
                f"{_hours(hours)} h at its {rate} Mbit/s, more than "
                f"{int(HEADROOM * 100)}% of the {window} h backup window "
                f"({float(limit):.2f} h).{asym_en} Raise its {en_dir} bandwidth to at least "
                f"{_rate_for(gb, limit)} Mbit/s, lengthen backup.window_hours, or replicate "
                "less across the lines.",
            )


def _hours(hours: Fraction) -> str:
    """Hours rounded up to the hundredth, so a volume just over the limit never reads as equal."""
    hundredths = -(-hours * 100 // 1)
    return f"{hundredths / 100:.2f}"


def _rate_for(gb: Fraction, hours: Fraction) -> int:
    """The smallest whole Mbit/s that moves ``gb`` within ``hours``."""
    need = gb * MBIT_PER_GB / (hours * 3600)
    return int(-(-need.numerator // need.denominator))


register(lines_carry_daily_volume)
