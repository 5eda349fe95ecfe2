#!/usr/bin/python3
"""Give several files and directories their owner and mode in one step, as file does for one."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import stat
from typing import Any, NamedTuple

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: baseline_paths
short_description: Set owner, group and mode of several paths at once
description:
  - Each entry of O(paths) is a directory or a regular file; a missing one is created (an empty
    file of mode 0600, a directory of mode 0700 whose parent exists), an existing one keeps its
    content and times. Owner, group and mode are set where they differ.
  - Made for paths that someone else can write beside (the administrators' homes), so every
    path is opened without following a symbolic link (O_NOFOLLOW, O_NONBLOCK) and checked and
    changed through that open file (fstat, fchown, fchmod), never again by its name.
  - All entries are checked before any is changed. The run stops with a message and changes
    nothing when an entry is refused - a symbolic link; a FIFO, socket or device; a directory
    where a file is wanted or the other way round; a regular file with more than one hard link
    (it could be another file, such as /etc/shadow); a path that is not absolute and normalised
    (no trailing slash, no . or .. parts); an unknown key, owner or group; a mode that is not one.
  - O_NOFOLLOW covers the last part of a path only; its parent directories are trusted, so list
    a home (made root's) before the files in it.
  - One module run instead of one per path (ansible.builtin.file in a loop).
options:
  paths:
    description:
      - List of {path, state (directory|file), owner, group, mode}; owner, group and mode are
        left as they are when omitted.
      - O(paths[].owner) and O(paths[].group) are names or numeric ids.
      - O(paths[].mode) is a string of 3 or 4 octal digits ("0755", "755") or a number up to
        0o7777 taken as it is (YAML's 0755 unquoted is 493; 755 unquoted is decimal, so quote it).
    type: list
    elements: dict
    required: true
author: mlps
"""
EXAMPLES = r"""
- name: Keep a home directory and its start-up file root-owned
  baseline_paths:
    paths:
      - {path: /home/alice, state: directory, owner: root, group: root, mode: "0755"}
      - {path: /home/alice/.profile, state: file, owner: root, group: root, mode: "0644"}
"""
RETURN = r"""
changed_paths:
  description: The paths created or whose owner, group or mode was set.
  type: list
  returned: always
"""

STATES = ("directory", "file")
KEYS = {"path", "state", "owner", "group", "mode"}
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
OPEN_ERRORS = {errno.ENXIO: "is a socket or device", errno.ENOTDIR: "exists and is not a directory"}


class Refused(Exception):
    """An entry that cannot be applied safely."""


class Entry(NamedTuple):
    """One path and what it should be; None leaves owner, group or mode as it is."""

    path: str
    state: str
    uid: int | None
    gid: int | None
    mode: int | None


def ident(value: Any, kind: str, path: str) -> int | None:
    """A uid (kind owner) or gid (kind group) from a name or a number."""
    if value is None:
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else (
        int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None)
    if number is not None and 0 <= number < 2**32 - 1:
        return number
    if number is None and isinstance(value, str):
        try:
            return pwd.getpwnam(value).pw_uid if kind == "owner" else grp.getgrnam(value).gr_gid
        except KeyError:
            pass
    raise Refused(f"{path}: unknown {kind} {value!r}")


def file_mode(value: Any, path: str) -> int | None:
    """The permission bits from 3 or 4 octal digits, or from a number up to 0o7777."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-7]{3,4}", value):
        return int(value, 8)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0o7777:
        return value
    raise Refused(f"{path}: mode {value!r} is not 3 or 4 octal digits (\"0755\") nor a number up to 0o7777")


def parse(raw: dict[str, Any]) -> Entry:
    """The entry checked for form (absolute path, state, owner, group, mode)."""
    path, state = raw.get("path"), raw.get("state")
    if not isinstance(path, str) or not os.path.isabs(path) or os.path.normpath(path) != path:
        raise Refused(f"each entry needs an absolute, normalised path: {raw}")
    if state not in STATES:
        raise Refused(f"{path}: state must be one of {'|'.join(STATES)}, not {state!r}")
    if set(raw) - KEYS:
        raise Refused(f"{path}: unknown keys {sorted(set(raw) - KEYS)} (known: {sorted(KEYS)})")
    return Entry(path, state, ident(raw.get("owner"), "owner", path),
                 ident(raw.get("group"), "group", path), file_mode(raw.get("mode"), path))


def refusal(entry: Entry, st: os.stat_result) -> str | None:
    """Why an open path cannot be given attributes (None when it can)."""
    if stat.S_ISDIR(st.st_mode):
        return None if entry.state == "directory" else f"{entry.path} exists and is not a file"
    if not stat.S_ISREG(st.st_mode):
        return f"{entry.path} is not a regular file or directory (a FIFO, socket or device): refused"
    if entry.state == "directory":
        return f"{entry.path} exists and is not a directory"
    if st.st_nlink > 1:
        return f"{entry.path} has {st.st_nlink} hard links: refused"
    return None


def open_entry(entry: Entry, create: bool = False) -> tuple[int, os.stat_result]:
    """The path opened (or first made) without following a link, and its status.

    FileNotFoundError when it is missing; Refused when it is not what the entry says."""
    flags = OPEN_FLAGS | (os.O_DIRECTORY if entry.state == "directory" else 0)
    if create and entry.state == "directory":
        os.mkdir(entry.path, 0o700)
    elif create:
        flags |= os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(entry.path, flags, 0o600)
    except FileNotFoundError:
        raise
    except OSError as err:  # refused either way: the words say why
        why = "is a symbolic link" if os.path.islink(entry.path) else OPEN_ERRORS.get(err.errno)
        raise Refused(f"{entry.path} {why}: refused" if why else f"{entry.path}: {err}") from None
    st = os.fstat(fd)
    why = refusal(entry, st)
    if why:
        os.close(fd)
        raise Refused(why)
    return fd, st


def existing(entry: Entry) -> tuple[int, os.stat_result] | None:
    """The path opened and checked as open_entry does, or None when it is missing."""
    try:
        return open_entry(entry)
    except FileNotFoundError:
        return None


def set_attributes(fd: int, st: os.stat_result, entry: Entry, check: bool) -> bool:
    """Set owner, group and mode through the open path where they differ; whether any did."""
    uid = -1 if entry.uid in (None, st.st_uid) else entry.uid
    gid = -1 if entry.gid in (None, st.st_gid) else entry.gid
    chown = (uid, gid) != (-1, -1)
    if chown and not check:
        os.fchown(fd, uid, gid)
        st = os.fstat(fd)  # a new owner clears set-id bits
    chmod = entry.mode is not None and stat.S_IMODE(st.st_mode) != entry.mode
    if chmod and not check:
        os.fchmod(fd, entry.mode)
    return chown or chmod


def apply(entry: Entry, opened: tuple[int, os.stat_result] | None, check: bool) -> bool:
    """Create the entry when missing and set its attributes; whether it changed."""
    if opened:
        return set_attributes(*opened, entry, check)
    if check:
        return True
    fd, st = open_entry(entry, create=True)
    try:
        set_attributes(fd, st, entry, check)
    finally:
        os.close(fd)
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "dict", "required": True}},
        supports_check_mode=True,
    )
    checked: list[tuple[Entry, tuple[int, os.stat_result] | None]] = []
    changed_paths: list[str] = []
    try:
        for raw in module.params["paths"]:
            entry = parse(raw)
            checked.append((entry, existing(entry)))
        for entry, opened in checked:
            if apply(entry, opened, module.check_mode):
                changed_paths.append(entry.path)
    except (Refused, OSError, ValueError) as err:  # ValueError: a NUL byte in a path or name
        module.fail_json(msg=str(err), changed=bool(changed_paths), changed_paths=changed_paths)
    finally:
        for _, opened in checked:
            if opened:
                os.close(opened[0])
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths)


if __name__ == "__main__":
    main()
