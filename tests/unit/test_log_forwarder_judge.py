"""log_forwarder's verify verdicts (roles/log_forwarder/filter_plugins/log_forwarder_judge.py) on
canned host output, kube-bench style: the configuration the role writes passes; each weakening
an attacker or a careless edit would make (plain syslog, no server authentication, a small
memory queue, one server at level 3, a dropped session, journald or audit not forwarded, bastion
recordings left out) fails the control it breaks, and a container never passes the kernel audit."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

PLUGIN = (Path(__file__).resolve().parents[2] / "roles" / "log_forwarder" / "filter_plugins"
          / "log_forwarder_judge.py")
_spec = importlib.util.spec_from_file_location("log_forwarder_judge", PLUGIN)
assert _spec is not None and _spec.loader is not None
judge_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(judge_module)

ACTION = ('action(type="omrelp" target="{host}" port="2514" tls="on" tls.tlscfgcmd="MinProtocol=TLSv1.2" '
          'tls.authmode="name" tls.permittedpeer=["{name}"] queue.type="LinkedList" queue.size="1000000" '
          'queue.filename="fwd_{name}" action.resumeRetryCount="-1" queue.saveOnShutdown="on")')
SERVERS = [{"host": "10.0.0.1", "name": "audit-1"}, {"host": "10.0.0.2", "name": "audit-2"}]
SESSIONS = "/var/log/mlps/sessions/*.log"


def good() -> dict[str, Any]:
    conf = "\n".join(ACTION.format(**s) for s in SERVERS) + f'\ninput(type="imfile" File="{SESSIONS}")\n'
    return {"conf": conf, "syntax_rc": 0, "ss": ["0 0 10.0.1.5:40001 10.0.0.1:2514",
                                                  "0 0 10.0.1.5:40002 10.0.0.2:2514"],
            "journald": "ForwardToSyslog=yes\n", "audit": "active = yes\nenabled 1\nfailure 1",
            "container": False, "level": 3, "port": 2514, "servers": SERVERS,
            "bastion_sessions": True, "bastion_session_files": SESSIONS}


def edit(old: str, new: str) -> Any:
    """A change replacing ``old`` by ``new`` in the forwarding configuration."""
    return lambda o: o.update(conf=o["conf"].replace(old, new))


def statuses(obs: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(r["control"], r["check"]): r["status"] for r in judge_module.log_forwarder_judge(obs)}


def failing(obs: dict[str, Any]) -> set[str]:
    return {control for (control, _), status in statuses(obs).items() if status == "fail"}


def test_the_configuration_the_role_writes_passes() -> None:
    assert set(statuses(good()).values()) == {"pass"}


@pytest.mark.parametrize(("change", "broken"), [
    (edit(' tls="on"', ""), {"CNS-TRANS-03"}),
    (edit("MinProtocol=TLSv1.2", "MinProtocol=TLSv1"), {"CNS-TRANS-03"}),
    (edit('tls.authmode="name"', 'tls.authmode="anon"'), {"CNS-TRANS-04"}),
    (edit('queue.size="1000000"', 'queue.size="100"'), {"CES-AUDIT-04"}),
    (edit('queue.filename="fwd_audit-2" ', ""), {"CES-AUDIT-04"}),
    (edit('"-1"', '"3"'), {"CES-AUDIT-04"}),
    (lambda o: o.update(syntax_rc=1), {"CES-AUDIT-04"}),
    (lambda o: o.update(servers=SERVERS[:1], conf=ACTION.format(**SERVERS[0]) + SESSIONS), {"SMC-CEN-05"}),
    (lambda o: o.update(ss=o["ss"][:1]), {"SMC-CEN-05"}),
    (lambda o: o.update(journald="ForwardToSyslog=no"), {"CES-AUDIT-01"}),
    (lambda o: o.update(audit="active = no\nenabled 1"), {"CES-AUDIT-01"}),
    (edit(SESSIONS, "/var/log/other.log"), {"ABS-AUDIT-04"}),
    (lambda o: o.update(conf=""), {"CNS-TRANS-03", "CNS-TRANS-04", "CES-AUDIT-04", "ABS-AUDIT-04"}),
])
def test_each_weakening_fails_the_control_it_breaks(change: Any, broken: set[str]) -> None:
    obs = good()
    change(obs)
    assert failing(obs) == broken


def test_one_server_is_enough_at_level_2_only() -> None:
    obs = good()
    obs.update(servers=SERVERS[:1], ss=obs["ss"][:1], level=2)
    assert "SMC-CEN-05" not in failing(obs)


def test_a_container_never_passes_the_kernel_audit_and_a_plain_host_is_not_a_bastion() -> None:
    obs = good()
    obs.update(container=True, bastion_sessions=False, syntax_rc=None)
    got = statuses(obs)
    kernel = ("CES-AUDIT-01", "kernel audit trail reaches syslog (audisp syslog plugin)")
    assert got[kernel] == "not_checkable"
    assert got[("ABS-AUDIT-04", "bastion session recordings forwarded")] == "not_applicable"
    assert got[("CES-AUDIT-04", "rsyslogd -N1 accepts the whole configuration")] == "not_checkable"
