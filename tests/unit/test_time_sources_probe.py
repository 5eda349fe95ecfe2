"""SMC-TIME-01 judged by the baseline probe on canned chrony configurations: only the site's
servers pass; a public pool, an extra source, a missing server or no configuration fail."""

from __future__ import annotations

import pytest

from tests.unit.baseline_module import load_utils

SITE = ["10.10.0.5", "10.10.0.6"]




host = load_utils("baseline_probe_host")


@pytest.mark.parametrize(("conf", "status"), [
    ("server 10.10.0.5 iburst\nserver 10.10.0.6 iburst\nmakestep 1.0 3\n", "pass"),
    ("server 10.10.0.5 iburst\nserver 10.10.0.6 iburst\npool 2.debian.pool.ntp.org iburst\n", "fail"),
    ("pool 2.debian.pool.ntp.org iburst\n", "fail"),
    ("server 10.10.0.5 iburst\n", "fail"),
    ("server 10.10.0.5 iburst\nserver 10.10.0.6\npeer 192.0.2.1\n", "fail"),
    (None, "fail"),
])
def test_chrony_sources_are_judged_against_the_site_servers(conf: str | None, status: str) -> None:
    got = host.time_sources(conf, SITE)
    assert (got["control"], got["status"]) == ("SMC-TIME-01", status)


def test_no_site_server_never_passes() -> None:
    assert host.time_sources("", [])["status"] == "fail"


def test_a_host_without_time_sync_fails_both_controls() -> None:
    got = host.check_time({"time_sync_enabled": False, "in_container": False})
    assert {(r["control"], r["status"]) for r in got} == {("CES-AUDIT-02", "fail"), ("SMC-TIME-01", "fail")}
