"""The mirror comes from the machine's apt sources, in either format, never a fixed host."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.lab.lab import _guest_sources
from mlps.lab.mirror import parse_deb822, parse_one_line, read_apt_sources
from mlps.lab.topology import default_topology

DEB822 = """\
Types: deb deb-src
# a comment
URIs: http://mirror.example.test/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example.test/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example.test/debian
Suites: bookworm
Components: main

Types: deb
URIs: https://vendor.example.test/apt
Suites: bookworm
Components: stable
Signed-By: /etc/apt/keyrings/vendor.gpg
"""

ONE_LINE = """\
# deb http://commented.example.test/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] \
http://10.1.2.3:8080/debian bookworm main
deb-src http://src.example.test/debian bookworm main
deb http://10.1.2.3:8080/debian-security bookworm-security main  # trailing comment
deb http://old.example.test/debian bullseye main
"""


def write(tmp_path: Path, one_line: str | None, deb822: str | None) -> tuple[Path, Path]:
    lst, d = tmp_path / "sources.list", tmp_path / "sources.list.d"
    d.mkdir()
    if one_line is not None:
        lst.write_text(one_line)
    if deb822 is not None:
        (d / "debian.sources").write_text(deb822)
    return lst, d


def test_deb822_entries_with_suites_and_components() -> None:
    entries = parse_deb822(DEB822)
    assert [e.uri for e in entries] == [
        "http://mirror.example.test/debian",
        "http://security.example.test/debian-security",
        "https://vendor.example.test/apt",
    ]
    assert entries[0].suites == ("bookworm", "bookworm-updates")
    assert entries[0].components == ("main", "contrib")


def test_one_line_entries_skip_comments_and_deb_src() -> None:
    entries = parse_one_line(ONE_LINE)
    assert [(e.uri, e.suites) for e in entries] == [
        ("http://10.1.2.3:8080/debian", ("bookworm",)),
        ("http://10.1.2.3:8080/debian-security", ("bookworm-security",)),
        ("http://old.example.test/debian", ("bullseye",)),
    ]
    assert entries[0].signed_by == "/usr/share/keyrings/debian-archive-keyring.gpg"
    assert entries[0].port == 8080


def test_mirror_and_relay_endpoints_come_from_deb822(tmp_path: Path) -> None:
    sources = read_apt_sources(*write(tmp_path, None, DEB822))
    assert sources.main_mirror("bookworm") == "http://mirror.example.test/debian"
    # the vendor repository (own key) is not Debian's: the lab does not use it
    assert sources.endpoints("bookworm") == [
        ("mirror.example.test", 80),
        ("security.example.test", 80),
    ]


def test_mirror_from_one_line_file_ignores_other_releases(tmp_path: Path) -> None:
    sources = read_apt_sources(*write(tmp_path, ONE_LINE, None))
    assert sources.main_mirror("bookworm") == "http://10.1.2.3:8080/debian"
    assert sources.endpoints("bookworm") == [("10.1.2.3", 8080)]


def test_no_source_for_the_suite_is_an_input_error(tmp_path: Path) -> None:
    sources = read_apt_sources(*write(tmp_path, "deb http://x.test/debian bullseye main\n", None))
    with pytest.raises(InputError, match="no apt source for the suite 'bookworm'"):
        sources.main_mirror("bookworm")


def test_mirror_by_address_is_named_by_its_relay_in_the_hosts_sources(tmp_path: Path) -> None:
    sources = read_apt_sources(*write(tmp_path, ONE_LINE, None))
    topo = default_topology(1)
    text = _guest_sources(sources.for_suite("bookworm"), topo, sources.endpoints("bookworm"))
    assert "URIs: http://10.99.0.254:8080/debian\n" in text
    assert "10.1.2.3" not in text


def test_machine_sources_give_a_mirror() -> None:
    sources = read_apt_sources()
    if not sources.entries:
        pytest.skip("this machine has no apt sources")
    assert sources.main_mirror("bookworm").startswith(("http://", "https://"))
