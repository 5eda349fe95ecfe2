"""Identity normalisation for names and addresses compared by the validator.

A name is folded (``fold``) with NFKC (fullwidth forms become ASCII), Cyrillic and Greek
letters that look like Latin ones read as those (``CONFUSABLES``), case-folded, stripped of
control and format characters (zero-width, bidi controls: Unicode categories Cc and Cf) and
of all whitespace.

Carrier names (``carrier_key``) go through the alias table ``_CARRIERS`` and are otherwise read
by their distinctive parts once places, legal forms and brackets are set aside, so that
``中国电信``, ``电信``, ``China Telecom``, ``CT``, ``CN2``, a city or provincial branch
(``杭州电信``, ``中国电信上海分公司``), a legal name (``中国电信股份有限公司浙江分公司``) and the
traditional ``中國電信`` are one carrier, while independent regional operators (歌华有线, 东方有线,
长城宽带, 鹏博士, 华数) keep their own identity.

Person names are also compared by sound (``same_person_name``): every hanzi stands for each
of its toneless pinyin readings, so ``张伟``, ``Zhang Wei``, ``zhangwei`` and ``ZHANG-Wei`` are
one name, as are ``曾伟`` and ``Ceng Wei``; a name stands for each of its written forms
(``name_forms``: ``Zhang Wei (张伟)``, ``张伟 Zhang Wei``, ``Mr. Zhang Wei``, ``WEI, Zhang``).
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


CONFUSABLES: dict[str, str] = {
    # Cyrillic small a e o er es u ha i je dze komi-de shha palochka qa we, and capitals
    # A Ve Ie Ka Em En O Er Es Te U Ha I Je Dze.
    **dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u04cf\u051b\u051d"
               "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0406\u0408\u0405",
               "aeopcyxijsdhlqwABEKMHOPCTYXIJS", strict=True)),
    # Greek capitals alpha beta epsilon zeta eta iota kappa mu nu omicron rho tau upsilon chi,
    # small omicron nu iota.
    **dict(zip("\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
               "\u03bf\u03bd\u03b9",
               "ABEZHIKMNOPTYXovi", strict=True)),
    # Latin small capitals and the dotless i.
    **dict(zip("\u1d00\u0299\u1d04\u1d05\u1d07\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d\u0274"
               "\u1d0f\u1d18\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u028f\u1d22\u0131",
               "abcdeghijklmnoprstuvwyzi", strict=True)),
}
"""Cyrillic and Greek letters that look like a Latin letter, read as that letter by ``fold``
(``Zh\u0430ng`` with a Cyrillic a is ``zhang``), and Latin small capitals and the dotless i read as
their letter. A short table of look-alikes, not Unicode TR39."""

_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters by category that print as nothing."""


def _visible(text: Any) -> str:
    """NFKC, look-alike letters read as Latin (``CONFUSABLES``), control and format characters
    (zero-width, bidi) dropped; whitespace kept."""
    norm = unicodedata.normalize("NFKC", str(text)).translate(_CONFUSABLE_TABLE)
    return "".join(c for c in norm if c.isspace() or (
        unicodedata.category(c) not in ("Cf", "Cc") and c not in _FILLERS))


def fold(text: Any) -> str:
    """NFKC, look-alike Cyrillic and Greek letters read as Latin, case-fold, and drop whitespace,
    control and format (zero-width, bidi) characters."""
    return "".join(c for c in _visible(text).casefold() if not c.isspace())


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
    words = [w for w in re.split(r"[\s\-.·_,]+", _visible(value)) if w]
    latin = all(c.isalpha() and unicodedata.name(c, "").startswith("LATIN") for w in words for c in w)
    if len(words) == 2 and latin:
        return [value, f"{words[1]} {words[0]}"]
    return [value]


_OPEN, _CLOSE = "([\u3010\u3014\u300c\u300e<\u300a", ")]\u3011\u3015\u300d\u300f>\u300b"
_BRACKETED = re.compile(rf"[{re.escape(_OPEN)}]([^{re.escape(_OPEN + _CLOSE)}]*)[{re.escape(_CLOSE)}]")
_ROLE_WORDS = re.compile(
    r"^(?:系统|审计|安全|保密|运维|网络|数据库|主|备|管理员|管理|员|账户|账号|角色|"
    r"system|sys|sysadmin|audit|auditor|security|sec|secadmin|admin|administrator|adm|ops|dba|"
    r"root|role|account|primary|backup|[0-9])+$")
"""A bracketed part made only of these words (``（系统）``, ``(security admin)``, ``(2)``) is a
role or account label, not a form of the name."""
_TITLE_BEFORE = re.compile(r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|professor)(?:\.\s*|\s+))+", re.IGNORECASE)
_TITLE_AFTER = re.compile(
    r"(?<=[\u3400-\u9fff])\s*(?:先生|女士|小姐|老师|医生|工程师|主任|科长|处长|部长|经理)$")
_DEGREE_AFTER = re.compile(r"(?<=[A-Za-z])\s*,?\s*(?:md|phd|rn|mph|msc|bsc|mba|jr|sr)\.?$",
                           re.IGNORECASE)
_PARTS = re.compile(r"\s*(?:[/|\\、;\u2013\u2014_]|-)\s*|(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])")
"""Where a written name (after NFKC, so full-width forms are ASCII) splits into parts: a slash,
bar, dash, underscore or semicolon, or a space beside a hanzi (``张伟/系统管理员``, ``信息科 张伟``,
``zhangwei-sec``)."""
_TONE_DIGIT = re.compile(r"(?<=[A-Za-z])[1-5](?=[\s.\-]|$)")
"""A tone number after a pinyin syllable (``Zhang1 Wei3``)."""
_HAN = r"[\u3400-\u9fff][\u3400-\u9fff·\s]*[\u3400-\u9fff]"
_LATIN = r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f\s.'·-]*?"
_HANZI_LATIN = re.compile(
    rf"^(?:(?P<h1>{_HAN})\s*(?P<l1>{_LATIN})|(?P<l2>{_LATIN})\s*(?P<h2>{_HAN}))$")
"""A hanzi name of two or more characters beside its Latin spelling, in either order."""


def _untitled(text: str) -> str:
    """``text`` without a title before it (Mr, Mrs, Ms, Miss, Mx, Dr, Prof) or an honorific after
    a hanzi name (先生, 女士, 小姐, 老师, 医生), unless nothing else would be left; ``SURNAME, Given``
    becomes ``SURNAME Given``."""
    text = _TONE_DIGIT.sub("", text.strip())
    for pattern in (_TITLE_BEFORE, _TITLE_AFTER, _DEGREE_AFTER):
        rest = pattern.sub("", text).strip()
        if any(c.isalnum() for c in rest):
            text = rest
    words = [w.strip() for w in text.split(",")]
    if len(words) == 2 and all(words):
        text = f"{words[0]} {words[1]}"
    return text


def name_forms(value: Any) -> list[tuple[str, bool]]:
    """The forms a written person name stands for, each with whether it is a main form (True)
    or only the content of a bracket (False).

    Look-alike Cyrillic and Greek letters are read as Latin (``CONFUSABLES``); the name outside
    brackets (ASCII or full-width) is a main form, each bracketed part not made only of role
    words (``_ROLE_WORDS``) a further form; titles and honorifics are dropped (``_untitled``); a
    main form made of a hanzi name and a Latin name (``张伟 Zhang Wei``) also stands for each of
    the two.
    """
    if not isinstance(value, str):
        return [(value, True)]
    text = _visible(value)
    inner = [m.strip() for m in _BRACKETED.findall(text)]
    outside = _BRACKETED.sub(" ", text).strip()
    extra = [p for p in inner if p and not _ROLE_WORDS.match(_letters(p))]
    if not any(c.isalnum() for c in outside):
        outside, extra = (extra[0], extra[1:]) if extra else (text, [])
    main = _untitled(outside)
    parts = [p for p in _PARTS.split(main) if any(c.isalnum() for c in p)]
    named = [_untitled(p) for p in parts if not _ROLE_WORDS.match(_letters(p))]
    if len(parts) > 1 and named:  # role words dropped; the other parts each a further form
        main = " ".join(named)
        if len(named) > 1 and not _HANZI_LATIN.match(main):
            extra = [p for p in named if sum("\u3400" <= c <= "\u9fff" for c in p) > 1] + extra
    forms = [(main, True)]
    both = _HANZI_LATIN.match(main)
    if both:
        forms += [(both.group(g), True) for g in ("h1", "l1", "h2", "l2") if both.group(g)]
    forms += [(_untitled(p), False) for p in extra]
    return forms


def same_person_name(a: Any, b: Any) -> bool:
    """Whether two person names can be the same name: a main form of one and any form of the
    other (``name_forms``) read alike (``_same_name``), a two-word Latin form in either order
    (``_name_orders``). Two bracketed parts alike alone do not make one name."""
    return any(
        (main_a or main_b) and _same_name(x, y)
        for form_a, main_a in name_forms(a) for form_b, main_b in name_forms(b)
        for x in _name_orders(form_a) for y in _name_orders(form_b))


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
