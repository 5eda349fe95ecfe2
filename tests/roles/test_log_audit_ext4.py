"""The audit store's seal tool on a real ext4 filesystem (a loop-mounted image in a temporary
directory), where chattr +a/+i really bite: sealed files must still be compressed and expired,
on both sides of the 180-day threshold, and the hash chain must still verify afterwards.

Needs root and a free loop device: skipped with the reason elsewhere, failed in CI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlps.lab.pytest_plugin import in_ci

pytestmark = pytest.mark.lab

TOOL = Path(__file__).resolve().parents[2] / "roles" / "log_audit_server" / "files" / "mlps-logaudit"
NOW = dt.date(2026, 7, 1)
RETENTION = 180
COMPRESS_AFTER = 2
AGES = (0, 1, 2, 3, 179, 180, 181, 200)
HOSTS = ("db-1", "web-1")


def day(age: int) -> str:
    return (NOW - dt.timedelta(days=age)).isoformat()


def unavailable() -> str | None:
    """Why an ext4 image cannot be mounted here, or None."""
    if os.geteuid() != 0:
        return "needs root to mount a loop device"
    for tool in ("mkfs.ext4", "mount", "umount", "losetup", "chattr", "lsattr"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    free = subprocess.run(["losetup", "-f"], capture_output=True, text=True, check=False)
    if free.returncode != 0:
        return f"no free loop device: {free.stderr.strip()}"
    return None


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Path]:
    """An empty ext4 filesystem mounted in the test's temporary directory, unmounted after."""
    reason = unavailable()
    if reason is not None:
        if in_ci():
            pytest.fail(f"ext4 store test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    image, mnt = tmp_path / "store.img", tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["truncate", "-s", "64M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mnt)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        if in_ci():
            pytest.fail(f"cannot mount an ext4 image: {mounted.stderr.strip()}", pytrace=False)
        pytest.skip(f"cannot mount an ext4 image here: {mounted.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["chattr", "-R", "-ia", str(mnt)], capture_output=True, check=False)
        if subprocess.run(["umount", str(mnt)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
        image.unlink(missing_ok=True)


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["python3", str(TOOL), *args], capture_output=True, text=True,
                          check=False)


def seal(root: Path, manifests: Path, today: str) -> subprocess.CompletedProcess[str]:
    return tool("seal", "--root", str(root), "--manifests", str(manifests), "--today", today,
                "--retention-days", str(RETENTION), "--compress-after-days", str(COMPRESS_AFTER),
                "--append-only")


def verify(root: Path, manifests: Path) -> tuple[int, dict[str, Any]]:
    done = tool("verify", "--root", str(root), "--manifests", str(manifests),
                "--today", NOW.isoformat(), "--retention-days", str(RETENTION),
                "--compress-after-days", str(COMPRESS_AFTER))
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def flags(path: Path) -> str:
    out = subprocess.run(["lsattr", "-d", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


@pytest.fixture
def aged_store(ext4: Path) -> tuple[Path, Path]:
    """A store lived through day by day: each day's file written while it was today (the
    hourly run set +a on it), then sealed (+i) and compressed and expired by the same runs."""
    root, manifests = ext4 / "store", ext4 / "manifests"
    for age in sorted(AGES, reverse=True):
        for host in HOSTS:
            path = root / host / f"{day(age)}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"2026-01-01T00:00:00.000001+00:00 {host} auth.info sshd[1]: age {age}\n")
        run = seal(root, manifests, day(age))
        assert run.returncode == 0, f"seal as of {day(age)}: {run.stderr}"
        assert "a" in flags(root / HOSTS[0] / f"{day(age)}.log"), "today's file is append-only"
    return root, manifests


def test_sealed_days_are_compressed_and_expired_on_both_sides_of_180_days(
    aged_store: tuple[Path, Path],
) -> None:
    root, manifests = aged_store
    for host in HOSTS:
        names = sorted(p.name for p in (root / host).iterdir())
        assert names == sorted([f"{day(0)}.log", f"{day(1)}.log"]
                               + [f"{day(a)}.log.gz" for a in (2, 3, 179, 180)]), names
        assert "a" in flags(root / host / f"{day(0)}.log")
        assert "i" in flags(root / host / f"{day(1)}.log")
        for age in (2, 3, 179, 180):
            assert "i" in flags(root / host / f"{day(age)}.log.gz"), "compressed copy sealed again"
    # Expiry removes the files, never the manifests: the chain still runs through those days.
    assert sorted(p.name for p in manifests.iterdir()) == sorted(
        f"{day(a)}.json" for a in AGES if a > 0)
    rc, report = verify(root, manifests)
    assert (rc, report["problems"]) == (0, []), report
    assert report["overdue_expiry"] == [] and report["overdue_compression"] == []
    assert report["files_checked"] == len(HOSTS) * 5


def test_a_deleted_sealed_file_is_reported_missing(aged_store: tuple[Path, Path]) -> None:
    root, manifests = aged_store
    victim = root / "web-1" / f"{day(3)}.log.gz"
    subprocess.run(["chattr", "-ia", str(victim)], check=True)  # an intruder with root
    victim.unlink()
    rc, report = verify(root, manifests)
    assert rc == 1
    assert report["problems"] == [f"web-1/{day(3)}.log: missing"]
    assert (manifests / f"{day(3)}.json").exists()


def test_files_kept_past_retention_are_reported_overdue(ext4: Path) -> None:
    """The symptom of an expiry that keeps failing: verify lists the days kept too long."""
    root, manifests = ext4 / "store", ext4 / "manifests"
    old = root / "web-1" / f"{day(RETENTION + 5)}.log"
    old.parent.mkdir(parents=True)
    old.write_text("old\n")
    subprocess.run(["chattr", "+a", str(old)], check=True)
    rc, report = verify(root, manifests)
    assert rc == 0
    assert report["overdue_expiry"] == [f"web-1/{day(RETENTION + 5)}.log"]
