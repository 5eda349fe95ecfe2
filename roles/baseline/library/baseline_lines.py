#!/usr/bin/python3
"""Set several lines of one configuration file in one step, as lineinfile does for one."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: baseline_lines
short_description: Set several lines of one configuration file at once
description:
  - For each entry, the last line matching O(lines[].regexp) is replaced by O(lines[].line);
    when none matches and the line is not there, it is appended. Lines are split on newline
    (LF) only, as lineinfile reads them, and each is searched with its LF; carriage returns,
    form feeds and other bytes inside a line, bytes that are not UTF-8 and a missing final
    newline are kept as they are.
  - The file is written only when its text changes, through a temporary file in the same
    directory moved into place (the file keeps its owner, mode and SELinux context); mode and
    owner are then set as given.
  - Refused before anything is written, with a message - a missing path, a symbolic link, and
    anything but a regular file (a directory, FIFO, socket or device).
  - One module run instead of one per line (ansible.builtin.lineinfile in a loop).
options:
  path:
    description: The file; it must exist and be a regular file, not a symbolic link.
    type: path
    required: true
  lines:
    description: List of {regexp, line}.
    type: list
    elements: dict
    required: true
  mode:
    description: The file's mode (octal string), unchanged when omitted.
    type: str
  owner:
    description: The file's owner, unchanged when omitted.
    type: str
  group:
    description: The file's group, unchanged when omitted.
    type: str
author: mlps
"""
EXAMPLES = r"""
- name: Set password ageing in login.defs
  baseline_lines:
    path: /etc/login.defs
    lines:
      - {regexp: '^#?\s*PASS_MAX_DAYS\s', line: "PASS_MAX_DAYS\t90"}
      - {regexp: '^#?\s*UMASK\s', line: "UMASK\t027"}
"""
RETURN = r"""
changed_lines:
  description: The lines written that were not in the file before.
  type: list
  returned: always
"""


def rows_of(text: str) -> list[str]:
    """The text's lines split on "\\n" only, each with its "\\n" (the last may have none)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def apply(text: str, lines: list[dict[str, str]]) -> tuple[str, list[str]]:
    """The file's text with every line set, and the lines that were added or replaced.

    The text itself is returned when no line changes."""
    rows = rows_of(text)
    changed: list[str] = []
    for entry in lines:
        pattern, line = re.compile(entry["regexp"]), entry["line"]
        hit = next((i for i in reversed(range(len(rows))) if pattern.search(rows[i])), None)
        if hit is not None:
            if rows[hit].rstrip("\r\n") != line:
                rows[hit] = line + "\n"
                changed.append(line)
        elif all(row.rstrip("\r\n") != line for row in rows):
            if rows and not rows[-1].endswith("\n"):
                rows[-1] += "\n"
            rows.append(line + "\n")
            changed.append(line)
    return ("".join(rows) if changed else text), changed


def shown(text: str) -> str:
    """The text with bytes that are not UTF-8 written as \\xNN escapes, for the diff."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_regular(path: str) -> str:
    """The text of a regular file, opened without following a symbolic link; ValueError if not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except OSError as err:
        why = {errno.ELOOP: "is a symbolic link", errno.ENXIO: "is not a regular file"}.get(err.errno)
        raise ValueError(f"{path} {why}: refused" if why else f"{path} cannot be read: {err}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path} is not a regular file: refused")
    with os.fdopen(fd, "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")


def write(module: AnsibleModule, path: str, text: str) -> None:
    """Replace the file by a temporary file in its directory moved into place by Ansible."""
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".baseline_lines.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
        module.atomic_move(tmp, path)
    except Exception as err:  # a full or read-only file system; atomic_move raises Exception itself
        module.fail_json(msg=f"{path} could not be written: {err}")
    finally:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "lines": {"type": "list", "elements": "dict", "required": True},
            "mode": {"type": "str"},
            "owner": {"type": "str"},
            "group": {"type": "str"},
        },
        supports_check_mode=True,
    )
    path: str = module.params["path"]
    lines: list[dict[str, Any]] = module.params["lines"]
    for i, entry in enumerate(lines):
        if not isinstance(entry.get("regexp"), str) or not isinstance(entry.get("line"), str):
            module.fail_json(msg=f"lines[{i}] needs a regexp and a line (strings)")
        try:
            re.compile(entry["regexp"])
        except re.error as err:
            module.fail_json(msg=f"lines[{i}].regexp does not compile: {err}")
    try:
        before = read_regular(path)
    except ValueError as err:
        module.fail_json(msg=str(err))
    after, changed_lines = apply(before, lines)
    text_changed = after != before
    if text_changed and not module.check_mode:
        write(module, path, after)
    file_args = module.load_file_common_arguments(
        {"path": path, "mode": module.params["mode"], "owner": module.params["owner"],
         "group": module.params["group"]})
    result: dict[str, Any] = {
        "changed": module.set_fs_attributes_if_different(file_args, text_changed),
        "changed_lines": changed_lines}
    if text_changed:
        result["diff"] = {"before": shown(before), "after": shown(after),
                          "before_header": path, "after_header": path}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
