"""Telecom carrier recognition: which carrier a ``links[].carrier`` name stands for.

``carrier_key`` looks a folded name up in the alias table ``_CARRIERS`` and otherwise reads it
by its distinctive parts once places, legal forms and brackets are set aside, so that
``中国电信``, ``电信``, ``China Telecom``, ``CT``, ``CN2``, a city or provincial branch
(``杭州电信``, ``中国电信上海分公司``), a legal name (``中国电信股份有限公司浙江分公司``) and the
traditional ``中國電信`` are one carrier, while independent regional operators (歌华有线, 东方有线,
长城宽带, 鹏博士, 华数) keep their own identity.
"""

from __future__ import annotations

import re
from typing import Any

from mlps.normalise import _BRACKETED, _visible, fold

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
        "ChinaNet",
        "CN2",
    ),
    "china-unicom": (
        "中国联通",
        "联通",
        "China Unicom",
        "ChinaUnicom",
        "CU",
        "CUCC",
        "中国联合网络通信",
        "China United Network Communications",
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
    "wasu": ("华数", "华数传媒", "华数数字电视", "Wasu"),
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

CARRIER_ALIASES: dict[str, str] = {fold(a): key for key, names in _CARRIERS.items() for a in names}

_CITIES: tuple[tuple[str, str], ...] = (
    ("广州", "Guangzhou"), ("深圳", "Shenzhen"), ("杭州", "Hangzhou"), ("南京", "Nanjing"),
    ("苏州", "Suzhou"), ("无锡", "Wuxi"), ("常州", "Changzhou"), ("南通", "Nantong"),
    ("徐州", "Xuzhou"), ("扬州", "Yangzhou"), ("宁波", "Ningbo"), ("温州", "Wenzhou"),
    ("绍兴", "Shaoxing"), ("嘉兴", "Jiaxing"), ("湖州", "Huzhou"), ("金华", "Jinhua"),
    ("台州", "Taizhou"), ("丽水", "Lishui"), ("衢州", "Quzhou"), ("舟山", "Zhoushan"),
    ("成都", "Chengdu"), ("绵阳", "Mianyang"), ("武汉", "Wuhan"), ("宜昌", "Yichang"),
    ("襄阳", "Xiangyang"), ("西安", "Xian"), ("长沙", "Changsha"), ("郑州", "Zhengzhou"),
    ("洛阳", "Luoyang"), ("济南", "Jinan"), ("青岛", "Qingdao"), ("烟台", "Yantai"),
    ("潍坊", "Weifang"), ("沈阳", "Shenyang"), ("大连", "Dalian"), ("长春", "Changchun"),
    ("哈尔滨", "Harbin"), ("大庆", "Daqing"), ("石家庄", "Shijiazhuang"), ("唐山", "Tangshan"),
    ("保定", "Baoding"), ("太原", "Taiyuan"), ("合肥", "Hefei"), ("福州", "Fuzhou"),
    ("厦门", "Xiamen"), ("泉州", "Quanzhou"), ("南昌", "Nanchang"), ("南宁", "Nanning"),
    ("桂林", "Guilin"), ("柳州", "Liuzhou"), ("海口", "Haikou"), ("三亚", "Sanya"),
    ("贵阳", "Guiyang"), ("遵义", "Zunyi"), ("昆明", "Kunming"), ("拉萨", "Lhasa"),
    ("兰州", "Lanzhou"), ("西宁", "Xining"), ("银川", "Yinchuan"), ("乌鲁木齐", "Urumqi"),
    ("呼和浩特", "Hohhot"), ("包头", "Baotou"), ("东莞", "Dongguan"), ("佛山", "Foshan"),
    ("珠海", "Zhuhai"), ("汕头", "Shantou"), ("中山", "Zhongshan"), ("惠州", "Huizhou"),
)
"""Provincial capitals and other large cities, whose branches of a national carrier (杭州电信,
China Telecom Hangzhou) are that carrier."""

_TRADITIONAL = str.maketrans(
    "國電聯動廣網絡鐵團華數線寬帶東長鵬訊視龍蘇雲陝肅內寧遼慶門廈漢陽瀋濟島連爾濱莊鄭貴滬開臺灣",
    "国电联动广网络铁团华数线宽带东长鹏讯视龙苏云陕肃内宁辽庆门厦汉阳沈济岛连尔滨庄郑贵沪开台湾")
"""Traditional forms of the characters of carrier, legal-form and place names (中國電信 is
中国电信)."""

_INDEPENDENT: dict[str, tuple[str, ...]] = {
    "gehua": ("歌华", "gehua", "bgctv"),
    "oriental-cable": ("东方有线", "orientalcable", "ocn"),
    "great-wall-broadband": ("长城宽带", "greatwallbroadband", "gwbn"),
    "dr-peng": ("鹏博士", "drpeng"),
    "wasu": ("华数", "wasu"),
}
"""Marks of the independent regional operators, looked for before the national carriers (so
鹏博士电信传媒 stays 鹏博士): hanzi anywhere in the name, Latin letters as whole words or the
whole name run together."""

_HANZI_CORES: dict[str, str] = {
    "电信": "china-telecom", "天翼": "china-telecom",
    "联通": "china-unicom", "网通": "china-unicom", "联合网络通信": "china-unicom",
    "联合通信": "china-unicom",
    "移动": "china-mobile", "移动通信": "china-mobile", "铁通": "china-mobile",
    "广电": "china-broadnet", "广电网络": "china-broadnet", "广播电视网络": "china-broadnet",
}
"""What is left of a hanzi carrier name once places, legal forms and 中国 are gone."""

_LATIN_MARKS: dict[str, str] = {
    "telecom": "china-telecom", "telecommunications": "china-telecom", "chinatelecom": "china-telecom",
    "chinanet": "china-telecom", "cn2": "china-telecom", "ct": "china-telecom", "ctcc": "china-telecom",
    "unicom": "china-unicom", "chinaunicom": "china-unicom", "cu": "china-unicom",
    "cucc": "china-unicom", "netcom": "china-unicom", "cnc": "china-unicom",
    "mobile": "china-mobile", "chinamobile": "china-mobile", "cm": "china-mobile",
    "cmcc": "china-mobile", "tietong": "china-mobile",
    "broadnet": "china-broadnet", "chinabroadnet": "china-broadnet", "cbn": "china-broadnet",
}
"""Latin words that name a national carrier on their own (whole words only: ``CT`` is China
Telecom, ``CTX`` or ``Connect`` is not)."""

_LATIN_NOISE = frozenset({
    "china", "prc", "the", "of", "co", "company", "ltd", "limited", "corporation", "corp", "inc",
    "group", "branch", "communications", "communication", "network", "networks", "province",
    "city", "line", "dedicated"})
"""Latin words that do not tell carriers apart: country, legal forms, branch, line."""

_HANZI_PLACES = "|".join(sorted(
    (n for pair in (*_PROVINCES, *_CITIES) for n in pair[:1]), key=len, reverse=True))
_HANZI_NOISE = re.compile(
    rf"(?:{_HANZI_PLACES})(?:维吾尔自治区|壮族自治区|回族自治区|自治区|省|市)?"
    r"|集团有限公司|股份有限公司|有限责任公司|有限公司|分公司|子公司|公司|集团|股份|中国|专线|线路")
_LATIN_PLACES = re.compile(r"\b(?:{})\b".format("|".join(sorted(
    (re.escape(pair[1].casefold()) for pair in (*_PROVINCES, *_CITIES)), key=len, reverse=True))))


def _carrier_of(part: str) -> str | None:
    """The carrier a name (no brackets) stands for: its key, ``""`` when it holds only places,
    legal forms and the like, None when it is unknown or mixes carriers."""
    joined = "".join(c for c in part if c.isalnum())
    if joined in CARRIER_ALIASES:
        return CARRIER_ALIASES[joined]
    words = re.findall(r"[a-z0-9]+", part)
    for key, marks in _INDEPENDENT.items():
        if any(m in joined if not m.isascii() or len(m) > 5 else m in words for m in marks):
            return key
    keys: set[str] = set()
    for run in re.findall(r"[\u3400-\u9fff]+|[a-z0-9]+(?:\s+[a-z0-9]+)*", part):
        if not run.isascii():
            core = _HANZI_NOISE.sub("", run)
            if core:
                if core not in _HANZI_CORES:
                    return None
                keys.add(_HANZI_CORES[core])
            continue
        for word in _LATIN_PLACES.sub(" ", run).split():
            if word in _LATIN_NOISE:
                continue
            if word not in _LATIN_MARKS:
                return None
            keys.add(_LATIN_MARKS[word])
    return keys.pop() if len(keys) == 1 else "" if not keys else None


def carrier_key(name: Any) -> str:
    """Canonical carrier identity: the alias-table key, or the folded name if unknown.

    Beyond the alias table, a name is read by its distinctive parts: traditional characters
    are simplified (``_TRADITIONAL``); an independent regional operator is recognised by its
    marks (``_INDEPENDENT``); otherwise places (the 31 provinces and the cities of ``_CITIES``,
    in hanzi or pinyin), legal forms (集团有限公司, 股份有限公司, 有限公司, 分公司, 公司, Co.,
    Ltd., Corporation, Limited, Group …) and 中国/China are dropped and what is left must name
    one national carrier (``_HANZI_CORES``, ``_LATIN_MARKS``): ``杭州电信``, ``China Telecom
    Hangzhou``, ``中国电信股份有限公司浙江分公司``, ``中國電信``, ``Telecom`` and ``CN2`` are China
    Telecom, ``中华电信`` or ``Pacific Telecom`` stay unknown. A name with a bracketed part
    (``中国电信（CT）``, ``中国电信（浙江）``) is that carrier when every part names it or only a place
or legal form.
    """
    folded = fold(name)
    if folded in CARRIER_ALIASES:
        return CARRIER_ALIASES[folded]
    text = _visible(name).casefold().translate(_TRADITIONAL)
    parts = [_BRACKETED.sub(" ", text), *_BRACKETED.findall(text)]
    keys = {_carrier_of(p) for p in parts} - {""}
    if len(keys) == 1 and None not in keys:
        return keys.pop() or folded
    return _carrier_within(text) or folded


_CONTAINED_HANZI: dict[str, str] = {
    "电信": "china-telecom", "天翼": "china-telecom", "联通": "china-unicom",
    "联合网络通信": "china-unicom", "网通": "china-unicom", "移动": "china-mobile",
    "铁通": "china-mobile", "广电": "china-broadnet"}
"""Hanzi marks that name a national carrier wherever they stand in a name (``萧山电信``,
``中国电信义乌分公司``, ``移动云``)."""
_CONTAINED_LATIN = re.compile(
    r"\b(?:(?P<t>china\s*telecom|chinanet|cn2|ctcc|ctg)|(?P<u>china\s*unicom|unicom|cucc)"
    r"|(?P<m>china\s*mobile|cmcc)|(?P<b>china\s*broadnet|cbn))\b")
_CONTAINED_KEYS = {"t": "china-telecom", "u": "china-unicom", "m": "china-mobile", "b": "china-broadnet"}
_NOT_MAINLAND = ("中华电信", "香港", "澳门", "台湾", "chunghwa", "hongkong", "macau", "macao",
                 "taiwan")
"""Carriers outside the mainland, whose names may hold a mainland carrier's mark (香港移动通讯):
other companies, never read as one of the four."""


def _carrier_within(text: str) -> str | None:
    """The one national carrier whose marks a name holds among other words (an unlisted city or
    district, a department, a product: ``China Telecom (CN2 GIA)``), or None when it holds
    none, marks of two carriers, an independent operator's mark or an outside carrier's name."""
    joined = "".join(c for c in text if c.isalnum())
    words = re.findall(r"[a-z0-9]+", text)
    if any(m in joined for m in _NOT_MAINLAND) or any(
            m in joined if not m.isascii() or len(m) > 5 else m in words
            for marks in _INDEPENDENT.values() for m in marks):
        return None
    found = {key for mark, key in _CONTAINED_HANZI.items() if mark in joined}
    found |= {_CONTAINED_KEYS[g] for m in _CONTAINED_LATIN.finditer(text)
              for g, v in m.groupdict().items() if v}
    return found.pop() if len(found) == 1 else None
