"""The one way mlps reads a file a user names: regular files only, bounded, never a hang.

Devices, FIFOs and sockets are refused by ``stat`` before opening; the file is opened
non-blocking and checked again with ``fstat`` (it may have been swapped meanwhile); at most
``limit`` bytes are read, counted as they arrive rather than trusted from ``st_size``.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from mlps.errors import InputError

_CHUNK = 1 << 16
_KINDS = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _check_mode(name: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(name, "is a directory", "give a file")
    if not stat.S_ISREG(mode):
        raise InputError(name, f"is {_kind(mode)}, not a regular file", "give a regular file")


def _no_links_below(path: Path, below: Path) -> None:
    """Refuse ``path`` if it or a directory between ``below`` and it is a symbolic link."""
    current = below
    for part in path.relative_to(below).parts:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                raise InputError(str(current), "is a symbolic link (never followed)",
                                 "replace it by the file itself")
        except FileNotFoundError:
            raise InputError(str(path), "file not found", "check the path") from None


def read_bytes(path: Path, limit: int, *, below: Path | None = None) -> bytes:
    """Read the regular file ``path`` (at most ``limit`` bytes) or raise InputError.

    With ``below``, ``path`` lies under that directory and no link on the way is followed.
    """
    name = str(path)
    if below is not None:
        _no_links_below(path, below)
    try:
        _check_mode(name, os.stat(path).st_mode)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        fd = os.open(path, flags | (os.O_NOFOLLOW if below is not None else 0))
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(name, "file not found", "check the path") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(name, "is a symbolic link (never followed)",
                             "replace it by the file itself") from None
        raise InputError(name, f"cannot be read: {exc.strerror}", "check its permissions") from None
    try:
        _check_mode(name, os.fstat(fd).st_mode)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise InputError(name, f"cannot be read: {exc.strerror}", "check the file") from None
    finally:
        os.close(fd)
    if total > limit:
        raise InputError(name, f"has more than the {limit} bytes such a file may have",
                         "check that this is the right file")
    return b"".join(chunks)


def read_text(path: Path, limit: int, *, below: Path | None = None) -> str:
    """``read_bytes`` decoded as UTF-8; other bytes are an InputError naming the offset."""
    data = read_bytes(path, limit, below=below)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                         "save the file as UTF-8") from None


def read_json(path: Path, limit: int, hint: str, *, below: Path | None = None) -> Any:
    """A JSON document from ``path``; bad syntax, huge numbers or deep nesting: InputError."""
    text = read_text(path, limit, below=below)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"invalid JSON: {exc.msg}", hint,
                         where=f"line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # integers past Python's digit limit, numbers out of range
        raise InputError(str(path), f"invalid JSON: {exc}", hint) from None
    except RecursionError:
        raise InputError(str(path), "invalid JSON: nested too deeply", hint) from None


MAX_DIGITS = 64


def check_number(text: str) -> None:
    """Refuse a numeral no configuration needs: too many digits, or out of float range."""
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_DIGITS:
        raise ValueError(f"a number of {digits} digits is longer than the {MAX_DIGITS} allowed")
    plain = text.replace("_", "").lower()
    if any(word in plain for word in ("inf", "nan")):
        raise ValueError(f"{text} is not a finite number")
    if any(ch in plain for ch in ".e"):
        try:
            value = float(plain)
        except ValueError:
            return
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"{text} is out of range")


def _int(text: str) -> int:
    check_number(text)
    return int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    check_number(text)
    return float(text)
