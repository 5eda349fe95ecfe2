"""The copy journal: what a killed run left in flight, and refusal of another drill's journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.exit.journal import DONE, INFLIGHT, Journal


def test_version_is_done_only_after_finish_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    book = Journal(path)
    book.bind("http://src", "http://dst")
    book.start("b", "k", "v1", False, 10)
    book.finish("b", "k", "v1", "ab" * 32, "t1")
    book.start("b", "k", "v2", False, 20)  # killed here: the put may or may not have landed
    book.close()
    again = Journal(path)
    states = again.states("b", "k")
    assert states["v1"] == (DONE, "ab" * 32, "t1")
    assert states["v2"][0] == INFLIGHT
    assert again.counts() == {DONE: 1, INFLIGHT: 1}
    again.start("b", "k", "v1", False, 10)  # starting a done version again does not undo it
    assert again.states("b", "k")["v1"][0] == DONE
    again.close()


def test_journal_of_other_endpoints_is_refused(tmp_path: Path) -> None:
    book = Journal(tmp_path / "j.sqlite")
    book.bind("http://src", "http://dst")
    with pytest.raises(InputError, match="journal of target"):
        book.bind("http://src", "http://elsewhere")
    book.close()


def test_not_a_journal_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(InputError, match="not a usable journal"):
        Journal(bad)
