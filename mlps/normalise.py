"""Identity normalisation for names and addresses compared by the validator.

A name is folded with NFKC (fullwidth forms become ASCII), case-folded, stripped of
control and format characters (zero-width, bidi controls: Unicode categories Cc and Cf) and
of all whitespace. Carrier names are then mapped through CARRIER_ALIASES so that
``中国电信``, ``电信``, ``China Telecom``, ``CT`` and a provincial branch (``广东电信``,
``中国电信上海分公司``) are the same carrier, while independent regional operators
(歌华有线, 东方有线, 长城宽带, 鹏博士) keep their own identity.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
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
