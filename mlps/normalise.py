"""Identity normalisation for names and addresses compared by the validator.

A name is folded (``fold``) with NFKC (fullwidth forms become ASCII), Cyrillic and Greek
letters that look like Latin ones read as those (``CONFUSABLES``), case-folded, stripped of
control and format characters (zero-width, bidi controls: Unicode categories Cc and Cf) and
of all whitespace.

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

