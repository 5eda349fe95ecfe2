#!/usr/bin/python3
"""Give several files and directories their owner and mode in one step, as file does for one."""

from __future__ import annotations

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: baseline_paths
short_description: Set owner, group and mode of several paths at once
description:
  - Each entry of O(paths) is a directory or a regular file; a missing one is created (an empty
    file, a directory whose parent exists), an existing one keeps its content and times. Owner,
    group and mode are set where they differ. A symbolic link or a path of the other type stops
    the run before anything changes.
  - One module run instead of one per path (ansible.builtin.file in a loop).
options:
  paths:
    description: List of {path, state (directory|file), owner, group, mode}.
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


def refusal(entry: dict[str, Any]) -> str | None:
    """Why an entry cannot be applied (None when it can)."""
    path, state = entry.get("path"), entry.get("state")
    if not isinstance(path, str) or not os.path.isabs(path) or state not in STATES:
        return f"each entry needs an absolute path and a state ({'|'.join(STATES)}): {entry}"
    if os.path.islink(path):
        return f"{path} is a symbolic link: refused"
    if os.path.lexists(path) and os.path.isdir(path) != (state == "directory"):
        return f"{path} exists and is not a {state}"
    return None


def create(path: str, state: str) -> None:
    """Make a missing directory or empty file, root-only until its mode is set."""
    if state == "directory":
        os.mkdir(path, 0o700)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))


def main() -> None:
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "dict", "required": True}},
        supports_check_mode=True,
    )
    entries: list[dict[str, Any]] = module.params["paths"]
    for entry in entries:
        why = refusal(entry)
        if why:
            module.fail_json(msg=why)
    changed_paths: list[str] = []
    for entry in entries:
        path = entry["path"]
        created = not os.path.lexists(path)
        if created and not module.check_mode:
            create(path, entry["state"])
        if created and module.check_mode:
            changed_paths.append(path)
            continue
        file_args = module.load_file_common_arguments(
            {"path": path, "owner": entry.get("owner"), "group": entry.get("group"),
             "mode": entry.get("mode")})
        if module.set_fs_attributes_if_different(file_args, created):
            changed_paths.append(path)
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths)


if __name__ == "__main__":
    main()
