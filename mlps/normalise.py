"""Identity normalisation for names compared by the validator (persons, carriers).

A name is folded with NFKC (fullwidth forms become ASCII), case-folded, stripped of
format characters (zero-width, bidi controls: Unicode category Cf) and of all
whitespace. Carrier names are then mapped through CARRIER_ALIASES so that
``中国电信``, ``电信``, ``China Telecom`` and ``CT`` are the same carrier.
"""

from __future__ import annotations

import unicodedata

_CARRIERS: dict[str, tuple[str, ...]] = {
    "china-telecom": (
        "中国电信",
        "电信",
        "China Telecom",
        "ChinaTelecom",
        "CT",
        "CTCC",
        "中国电信集团",
        "天翼",
    ),
    "china-unicom": (
        "中国联通",
        "联通",
        "China Unicom",
        "ChinaUnicom",
        "CU",
        "CUCC",
        "中国网通",
        "网通",
        "China Netcom",
        "CNC",
    ),
    "china-mobile": (
        "中国移动",
        "移动",
        "China Mobile",
        "ChinaMobile",
        "CM",
        "CMCC",
        "中国铁通",
        "铁通",
        "China Tietong",
    ),
    "china-broadnet": (
        "中国广电",
        "广电",
        "China Broadnet",
        "China Broadcast Network",
        "CBN",
        "中国广电网络",
    ),
}


def fold(text: str) -> str:
    """NFKC, case-fold, and drop whitespace and format (zero-width, bidi) characters."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in norm if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc"))


CARRIER_ALIASES: dict[str, str] = {fold(a): key for key, names in _CARRIERS.items() for a in names}


def carrier_key(name: str) -> str:
    """Canonical carrier identity: the alias-table key, or the folded name if unknown."""
    folded = fold(name)
    return CARRIER_ALIASES.get(folded, folded)
