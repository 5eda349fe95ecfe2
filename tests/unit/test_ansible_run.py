"""What a playbook run reports about changes: the idempotence tests name the changed tasks."""

from __future__ import annotations

from mlps.ansible_run import PlaybookRun

OUTPUT = """
TASK [baseline : CES-AUTH-05 | Harden sshd] ************************************
ok: [h1]
changed: [h2]

TASK [baseline : CES-IPS-01 | Restrict compilers] ******************************
ok: [h1]
ok: [h2]

RUNNING HANDLER [baseline : Baseline | Reload sshd] ****************************
changed: [h2]
"""


def test_changed_tasks_names_tasks_and_handlers_per_host() -> None:
    run = PlaybookRun(rc=0, status="successful", stats={"h2": {"changed": 2}}, output=OUTPUT)
    assert run.changed == 2
    assert run.changed_tasks() == [
        "h2: baseline : CES-AUTH-05 | Harden sshd",
        "h2: handler baseline : Baseline | Reload sshd",
    ]
