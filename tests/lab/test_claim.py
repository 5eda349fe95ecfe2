"""One process at a time owns a lab: a second one is refused and destroys nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlps.lab import cleanup, names
from mlps.lab.claim import Claim
from mlps.lab.errors import LabError
from mlps.lab.lab import Lab
from mlps.lab.names import LabNames, check_lab_name

HOLD = """
import fcntl, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.seek(0); f.truncate(); f.write("process holder\\n"); f.flush()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "claims"
    monkeypatch.setattr(names, "CLAIM_ROOT", root)
    return root


def test_a_second_claim_on_the_same_name_is_refused_until_the_first_ends(claims: Path) -> None:
    first, second = Claim(LabNames("mlps-t-a")), Claim(LabNames("mlps-t-a"))
    first.take()
    with pytest.raises(LabError, match=r"lab mlps-t-a is in use by process \d+: it is left as it is"):
        second.take()
    assert not second.held
    Claim(LabNames("mlps-t-b")).take()  # another name is another lab
    first.release()
    second.take()
    assert second.held


def test_a_process_that_ends_leaves_the_name_free(claims: Path) -> None:
    path = LabNames("mlps-t-a").claim_path
    path.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(LabError, match="in use by process holder"):
            Claim(LabNames("mlps-t-a")).take()
    finally:
        holder.kill()  # a crash: nothing releases the lock but the kernel
        holder.wait(timeout=10)
    claim = Claim(LabNames("mlps-t-a"))
    claim.take()
    assert claim.held


def test_down_of_a_lab_another_process_holds_removes_nothing(
    claims: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    removed: list[str] = []
    monkeypatch.setattr(cleanup, "destroy", lambda n: removed.append(n.lab))
    holder = Claim(LabNames("mlps-t-a"))
    holder.take()
    with pytest.raises(LabError, match="in use by process"):
        Lab("mlps-t-a").down()
    assert removed == []
    holder.release()
    Lab("mlps-t-a").down()
    assert removed == ["mlps-t-a"]
    Claim(LabNames("mlps-t-a")).take()  # down lets the name go again


def test_no_lab_name_reaches_the_shared_directories() -> None:
    for shared in (names.BASE_ROOT, names.CLAIM_ROOT):
        assert shared.parent == names.STATE_ROOT
        with pytest.raises(Exception, match="not usable"):
            check_lab_name(shared.name)
