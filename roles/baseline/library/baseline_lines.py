#!/usr/bin/python3
"""Set several lines of one configuration file in one step, as lineinfile does for one."""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: baseline_lines
short_description: Set several lines of one configuration file at once
description:
  - For each entry, the last line matching O(lines[].regexp) is replaced by O(lines[].line);
    when none matches, the line is appended. Other lines are kept as they are. The file is
    written once, atomically, and only when its text changes; mode and owner are set as given.
  - One module run instead of one per line (ansible.builtin.lineinfile in a loop).
options:
  path:
    description: The file; it must exist.
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


def apply(text: str, lines: list[dict[str, str]]) -> tuple[str, list[str]]:
    """The file's text with every line set, and the lines that were added or replaced."""
    rows = text.splitlines()
    changed: list[str] = []
    for entry in lines:
        pattern = re.compile(entry["regexp"])
        line = entry["line"]
        hits = [i for i, row in enumerate(rows) if pattern.search(row)]
        if hits:
            if rows[hits[-1]] != line:
                rows[hits[-1]] = line
                changed.append(line)
        elif line not in rows:
            rows.append(line)
            changed.append(line)
    if not rows:
        return "", changed
    return "\n".join(rows) + "\n", changed


def write_atomically(path: str, text: str) -> None:
    """Replace the file by rename, keeping its mode and owner."""
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".baseline_lines.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
    if not os.path.isfile(path):
        module.fail_json(msg=f"{path} does not exist")
    with open(path, encoding="utf-8") as handle:
        before = handle.read()
    after, changed_lines = apply(before, lines)
    changed = after != before
    if changed and not module.check_mode:
        write_atomically(path, after)
    file_args = module.load_file_common_arguments(
        {"path": path, "mode": module.params["mode"], "owner": module.params["owner"],
         "group": module.params["group"]})
    changed = module.set_fs_attributes_if_different(file_args, changed)
    result: dict[str, Any] = {"changed": changed, "changed_lines": changed_lines}
    if after != before:
        result["diff"] = {"before": before, "after": after, "before_header": path, "after_header": path}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
