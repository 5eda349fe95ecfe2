"""The parts of the baseline probe that judge who gets in and whether it is recorded, on
realistic inputs: sudo's effective Defaults and the addresses root may come from."""

from __future__ import annotations

import pytest

from tests.unit.baseline_module import load_utils

load_utils("baseline_probe_host")
SESSIONS = load_utils("baseline_probe_sessions")

LISTING = """Matching Defaults entries for zhangwei on h2:
    use_pty, env_reset, logfile=/var/log/sudo.log, passwd_tries=3, timestamp_timeout=5,
    log_input, log_output, iolog_dir=/var/log/sudo-io, iolog_mode=0600

User zhangwei may run the following commands on h2:
    (root) NOPASSWD: EXEC: /usr/local/sbin/mlps-admin-service
"""


def test_io_logging_on_when_both_defaults_are_set() -> None:
    assert SESSIONS.io_logging_on(LISTING) == {"log_input": True, "log_output": True}


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("log_output, iolog_dir", "iolog_dir"),
        lambda t: t.replace("iolog_mode=0600", "iolog_mode=0600, !log_output"),
        lambda t: t.replace("NOPASSWD: EXEC:", "NOPASSWD: EXEC: NOLOG_OUTPUT:"),
        lambda t: t + "\nRunas and Command-specific defaults for zhangwei:\n"
        "    Defaults!/usr/bin/id !log_input\n",
    ],
    ids=["absent", "negated-later", "nolog-tag", "per-command"],
)
def test_io_logging_off_in_any_form_is_seen(change: object) -> None:
    assert callable(change)
    assert not all(SESSIONS.io_logging_on(change(LISTING)).values())


def test_addresses_are_sampled_inside_each_network_and_judged_by_containment() -> None:
    assert SESSIONS.sample("10.99.0.1/32") == "10.99.0.1"
    assert SESSIONS.sample("203.0.113.0/24") == "203.0.113.1"
    assert SESSIONS.sample("10.*") is None
    assert SESSIONS.declared("10.99.0.1", ["10.99.0.1/32"])
    assert not SESSIONS.declared("10.99.0.2", ["10.99.0.1/32"])
    assert SESSIONS.declared("10.20.0.7", ["bogus", "10.20.0.0/24"])


JOURNALD = """# /etc/systemd/journald.conf
#  This file is part of systemd.
[Journal]
#Storage=auto
#RateLimitIntervalSec=30s
#RateLimitBurst=10000

# /etc/systemd/journald.conf.d/60-mlps-sessions.conf
# Managed by the mlps baseline role.
[Journal]
RateLimitIntervalSec=0
"""


def test_journald_without_a_rate_limit_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SESSIONS, "run", lambda argv: (0, JOURNALD))
    assert SESSIONS.check_journal_rate_limit()["status"] == "pass"
    assert SESSIONS.rate_limit_off({"RateLimitIntervalSec": "30s", "RateLimitBurst": "0"})


@pytest.mark.parametrize(
    "config",
    [
        JOURNALD.replace("RateLimitIntervalSec=0", "#RateLimitIntervalSec=0"),
        JOURNALD + "\n# /etc/systemd/journald.conf.d/99-local.conf\n[Journal]\nRateLimitIntervalSec=30s\n",
        JOURNALD + "\n# /run/systemd/journald.conf.d/zz.conf\n[Journal]\nRateLimitIntervalSec=\n",
        JOURNALD.replace("RateLimitIntervalSec=0", "RateLimitIntervalSec=0.5s"),
        JOURNALD.replace("[Journal]\nRateLimitIntervalSec=0", "[Other]\nRateLimitIntervalSec=0"),
    ],
    ids=["commented-out", "overridden-later", "reset-to-default", "half-a-second", "other-section"],
)
def test_a_rate_limit_back_on_in_any_form_fails(monkeypatch: pytest.MonkeyPatch, config: str) -> None:
    monkeypatch.setattr(SESSIONS, "run", lambda argv: (0, config))
    assert SESSIONS.check_journal_rate_limit()["status"] == "fail"


def test_an_unreadable_journald_configuration_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SESSIONS, "run", lambda argv: (127, ""))
    assert SESSIONS.check_journal_rate_limit()["status"] == "fail"
