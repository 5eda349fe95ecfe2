"""Identity normalisation for names and addresses compared by the validator.

A name is folded with NFKC (fullwidth forms become ASCII), case-folded, stripped of
control and format characters (zero-width, bidi controls: Unicode categories Cc and Cf) and
of all whitespace. Carrier names are then mapped through CARRIER_ALIASES so that
``中国电信``, ``电信``, ``China Telecom``, ``CT`` and a provincial branch (``广东电信``,
``中国电信上海分公司``) are the same carrier, while independent regional operators
(歌华有线, 东方有线, 长城宽带, 鹏博士) keep their own identity.

Person names are also compared by sound (``same_person_name``): every hanzi stands for each
of its toneless pinyin readings, so ``张伟``, ``Zhang Wei``, ``zhangwei`` and ``ZHANG-Wei`` are
one name, as are ``曾伟`` and ``Ceng Wei``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Any

_CARRIERS: dict[str, tuple[str, ...]] = {
    "china-telecom": (
        "中国电信",
        "电信",
        "China Telecom",
        "ChinaTelecom",
        "CT",
        "CTCC",
        "中国电信集团",
        "中国电信股份有限公司",
        "天翼",
    ),
    "china-unicom": (
        "中国联通",
        "联通",
        "China Unicom",
        "ChinaUnicom",
        "CU",
        "CUCC",
        "中国联合网络通信",
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
        "中国移动通信",
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
    # Independent regional operators: companies of their own, not branches of the four.
    "gehua": ("歌华有线", "歌华", "北京歌华有线", "Gehua", "Gehua CATV", "BGCTV"),
    "oriental-cable": ("东方有线", "上海东方有线", "Oriental Cable", "OCN"),
    "great-wall-broadband": ("长城宽带", "Great Wall Broadband", "GWBN"),
    "dr-peng": ("鹏博士", "Dr. Peng", "DrPeng", "鹏博士电信传媒"),
}

_PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京", "Beijing"), ("天津", "Tianjin"), ("上海", "Shanghai"), ("重庆", "Chongqing"),
    ("河北", "Hebei"), ("山西", "Shanxi"), ("辽宁", "Liaoning"), ("吉林", "Jilin"),
    ("黑龙江", "Heilongjiang"), ("江苏", "Jiangsu"), ("浙江", "Zhejiang"), ("安徽", "Anhui"),
    ("福建", "Fujian"), ("江西", "Jiangxi"), ("山东", "Shandong"), ("河南", "Henan"),
    ("湖北", "Hubei"), ("湖南", "Hunan"), ("广东", "Guangdong"), ("海南", "Hainan"),
    ("四川", "Sichuan"), ("贵州", "Guizhou"), ("云南", "Yunnan"), ("陕西", "Shaanxi"),
    ("甘肃", "Gansu"), ("青海", "Qinghai"), ("内蒙古", "Inner Mongolia"), ("广西", "Guangxi"),
    ("西藏", "Tibet"), ("宁夏", "Ningxia"), ("新疆", "Xinjiang"),
)
"""The 31 provincial-level divisions of the mainland, whose branches of a national carrier
(广东电信, China Mobile Guangdong) are that carrier."""


def fold(text: Any) -> str:
    """NFKC, case-fold, and drop whitespace, control and format (zero-width, bidi) characters."""
    norm = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(c for c in norm if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc"))


def _letters(text: str) -> str:
    """Folded text reduced to letters and digits: tone marks and other diacritics dropped
    (``Zhāng`` is ``zhang``, ``Lü`` is ``lu``), as are hyphens, dots and apostrophes."""
    return "".join(c for c in unicodedata.normalize("NFKD", fold(text)) if c.isalnum())


SURNAME_READINGS: dict[str, tuple[str, ...]] = {"黑": ("he",), "谌": ("shen",)}
"""Readings of a name's first hanzi, as a surname, that pypinyin does not list (黑 read hè,
谌 read shèn); its own lists hold the surname readings of 曾, 单, 解, 仇, 区, 朴 and the like."""


@cache
def _pinyin_readings(char: str) -> tuple[str, ...]:
    """Every toneless pinyin reading pypinyin knows for ``char`` (heteronym mode), ü also written
    u, v and yu; empty when ``char`` is no hanzi.

    pypinyin is loaded on first use, without its phrase table (``PYPINYIN_NO_PHRASES``): names
    are read one character at a time, whose readings include those of the phrases, and the
    table would triple the load time of every ``mlps validate``.
    """
    if char.isascii():
        return ()
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings = {_letters(v) for r in (found[0] if found else ()) for v in
                (r, r.replace("v", "u"), r.replace("v", "yu"))}
    return tuple(sorted(r for r in readings if r))


def _name_tokens(name: Any) -> list[tuple[str, ...]]:
    """A name as a sequence of alternatives: each hanzi its readings, each other letter itself."""
    tokens: list[tuple[str, ...]] = []
    for c in fold(name):
        readings = _pinyin_readings(c)
        if readings and not tokens:
            readings = tuple(sorted({*readings, *SURNAME_READINGS.get(c, ())}))
        elif not readings:
            readings = tuple(filter(None, [_letters(c)]))
        if readings:
            tokens.append(readings)
    return tokens


_Position = tuple[int, str]
"""Where a reader stands in a name: the next token, and the letters of the current reading it
has still to read (empty between tokens)."""


def _steps(tokens: list[tuple[str, ...]], at: _Position) -> Iterator[tuple[str, _Position]]:
    """Each letter the reader can read next, with where that leaves it."""
    index, rest = at
    choices = (rest,) if rest else tokens[index] if index < len(tokens) else ()
    after = index if rest else index + 1
    for reading in choices:
        yield reading[0], (after, reading[1:])


def _name_orders(value: Any) -> list[Any]:
    """The name as written and, for a two-word Latin name (``Wei Zhang``), the same words in
    the other order: Chinese names written in Latin letters often put the given name first."""
    if not isinstance(value, str):
        return [value]
    words = [w for w in re.split(r"[\s\-.·_]+", unicodedata.normalize("NFKC", value)) if w]
    latin = all(c.isalpha() and unicodedata.name(c, "").startswith("LATIN") for w in words for c in w)
    if len(words) == 2 and latin:
        return [value, f"{words[1]} {words[0]}"]
    return [value]


def same_person_name(a: Any, b: Any) -> bool:
    """Whether two person names can be the same name, in either order of a two-word Latin name
    (``_name_orders``)."""
    return any(_same_name(x, y) for x in _name_orders(a) for y in _name_orders(b))


def _same_name(a: Any, b: Any) -> bool:
    """Whether two names are the same: same folded form, or a choice of readings of their
    hanzi (see ``_name_tokens``) that spells both as one letter sequence.

    Readings are not enumerated: both names are read letter by letter over all their readings
    at once, so the work is bounded by the product of the two names' reading lengths however
    many polyphonic characters they hold. A name without any letter matches only its folded
    form.
    """
    if fold(a) == fold(b):
        return True
    ta, tb = _name_tokens(a), _name_tokens(b)
    if not ta or not tb:
        return False
    done = ((len(ta), ""), (len(tb), ""))
    start: tuple[_Position, _Position] = ((0, ""), (0, ""))
    seen, todo = {start}, [start]
    while todo:
        at_a, at_b = todo.pop()
        if (at_a, at_b) == done:
            return True
        for letter, next_a in _steps(ta, at_a):
            for other, next_b in _steps(tb, at_b):
                if letter == other and (next_a, next_b) not in seen:
                    seen.add((next_a, next_b))
                    todo.append((next_a, next_b))
    return False


def canonical(value: str) -> str | None:
    """``value`` (an IPv4 address, or a network with ``/prefix``) in canonical dotted decimal,
    leading zeros dropped (``10.20.00.0/24`` is ``10.20.0.0/24``); None if it is neither."""
    address, slash, prefix = value.partition("/")
    octets = address.split(".")
    if len(octets) != 4 or not all(o.isascii() and o.isdecimal() and int(o) <= 255 for o in octets):
        return None
    if slash and not (prefix.isascii() and prefix.isdecimal() and int(prefix) <= 32):
        return None
    text = ".".join(str(int(o)) for o in octets)
    return f"{text}/{int(prefix)}" if slash else text


def normal_address(value: Any) -> str:
    """An address in canonical form: dotted-decimal IPv4 without leading zeros (``10.10.00.21``
    is ``10.10.0.21``), other IP addresses compressed, anything else its folded text."""
    text = fold(value)
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdecimal() and p.isascii() for p in parts):
        return ".".join(str(int(p)) for p in parts)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


CARRIER_ALIASES: dict[str, str] = {fold(a): key for key, names in _CARRIERS.items() for a in names}
_BRANCH_ALIASES: dict[str, str] = {
    **CARRIER_ALIASES, "telecom": "china-telecom", "unicom": "china-unicom", "mobile": "china-mobile"}
"""After a province (``Guangdong Telecom``) the bare English words name the national carrier."""

_PLACE = "|".join(
    sorted((re.escape(fold(n)) for pair in _PROVINCES for n in pair), key=len, reverse=True))
_SUFFIX = r"(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)?"
_BRANCH = re.compile(
    rf"^(?:(?P<pre>{_PLACE}){_SUFFIX}(?P<rest>.+)"
    rf"|(?P<head>.+?)(?:有限公司|股份有限公司)?(?:{_PLACE}){_SUFFIX}(?:分公司|branch)?)$")


def carrier_key(name: Any) -> str:
    """Canonical carrier identity: the alias-table key, or the folded name if unknown.

    A provincial branch of a national carrier (``广东电信``, ``上海市联通``,
    ``中国电信广东分公司``, ``China Mobile Guangdong``) is that carrier.
    """
    folded = fold(name)
    if folded in CARRIER_ALIASES:
        return CARRIER_ALIASES[folded]
    match = _BRANCH.match(folded)
    if match:
        core = match.group("rest") if match.group("pre") else match.group("head")
        key = _BRANCH_ALIASES.get(core or "")
        if key is not None:
            return key
    return folded
