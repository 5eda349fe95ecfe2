"""Leaving the cloud between two real SeaweedFS S3 servers on loopback (CLD-MIG-01, CLD-CSP-04).

The source plays the cloud store, the target the on-prem one. The copy is killed with SIGKILL
half-way and resumed; verify must then find every version exactly once; a tampered target
must be named version by version (retention shortened, GOVERNANCE for COMPLIANCE, legal hold
dropped, same-size content swapped, version missing or planted, user metadata changed); purge
must refuse without a passing manifest, refuse when the source changed or a target copy
vanished, and must not force versions under retention. Versions above the part size go by
multipart upload; the plan checks the spec's declared capacity at the threshold.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.exit.seaweed import Server, seaweed
from tests.roles.object_storage_lab import dicom_bytes

pytestmark = pytest.mark.slow

LOCKED, PLAIN = "registration-attachments", "plain-data"
ROOT = Path(__file__).resolve().parents[2]


def _client(server: Server) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1")


def _populate(s3: Any) -> None:
    """Two buckets: one with object lock (retention, legal hold), one plain but versioned."""
    rng = random.Random(7)  # noqa: S311  reproducible test data, not secrets
    s3.create_bucket(Bucket=LOCKED, ObjectLockEnabledForBucket=True)
    s3.put_bucket_encryption(Bucket=LOCKED, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.create_bucket(Bucket=PLAIN)
    s3.put_bucket_versioning(Bucket=PLAIN, VersioningConfiguration={"Status": "Enabled"})
    until = datetime.now(UTC) + timedelta(days=2)
    for i in range(150):
        size = 1024 * rng.randint(1, 40) if i >= 5 else (1 << 20) * (1 + i)  # five of 1 to 5 MiB
        body = dicom_bytes(i, 32, 32) if i % 15 == 0 else rng.randbytes(size)
        kind = "application/dicom" if i % 15 == 0 else "application/octet-stream"
        key = f"studies/{i:04d}.dcm" if i % 15 == 0 else f"files/{i:04d}.bin"
        s3.put_object(Bucket=PLAIN, Key=key, Body=body, ContentType=kind,
                      Metadata={"patient": f"P{i:06d}"}, Tagging=f"class=core&n={i}")
        if i % 7 == 0:
            for _ in range(2):
                s3.put_object(Bucket=PLAIN, Key=key, Body=rng.randbytes(2048), ContentType=kind)
            if i % 14 == 0:
                s3.delete_object(Bucket=PLAIN, Key=key)
    for i in range(60):
        key = f"attachments/{i:03d}.pdf"
        extra: dict[str, Any] = {}
        if i < 10:
            extra = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}
        elif i < 15:
            extra = {"ObjectLockLegalHoldStatus": "ON"}
        s3.put_object(Bucket=LOCKED, Key=key, Body=rng.randbytes(1024 * rng.randint(1, 20)),
                      ContentType="application/pdf", Metadata={"form": str(i)}, **extra)
        if 20 <= i < 30:
            s3.put_object(Bucket=LOCKED, Key=key, Body=rng.randbytes(3000), ContentType="application/pdf")
            s3.put_object(Bucket=LOCKED, Key=key, Body=rng.randbytes(3000), ContentType="application/pdf")
            if i < 25:
                s3.delete_object(Bucket=LOCKED, Key=key)


def _count(s3: Any, bucket: str) -> tuple[int, int]:
    """(versions, delete markers) of ``bucket``."""
    versions = markers = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions += len(page.get("Versions", []))
        markers += len(page.get("DeleteMarkers", []))
    return versions, markers


class Drill:
    """Runs ``mlps exit`` against the two servers with their keys in a credentials file."""

    def __init__(self, base: Path, src: Server, dst: Server) -> None:
        self.base, self.src, self.dst = base, src, dst
        creds = base / "credentials"
        creds.write_text(f"[src]\naws_access_key_id = {src.access_key}\naws_secret_access_key = "
                         f"{src.secret_key}\n[dst]\naws_access_key_id = {dst.access_key}\n"
                         f"aws_secret_access_key = {dst.secret_key}\n")
        creds.chmod(0o600)
        self.env = {"PATH": os.environ.get("PATH", ""), "HOME": str(base),
                    "AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": os.devnull,
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
        self.journal = base / "journal.sqlite"

    def args(self, command: str, *extra: str) -> list[str]:
        return [sys.executable, "-m", "mlps", "exit", command, "--source-endpoint", self.src.endpoint,
                "--target-endpoint", self.dst.endpoint, "--source-profile", "src",
                "--target-profile", "dst", *extra]

    def __call__(self, command: str, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.args(command, *extra), cwd=ROOT, env=self.env, text=True,
                              capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server, Server]]:
    base = tmp_path_factory.mktemp("exit")
    with seaweed(base, "cloud") as src, seaweed(base, "onprem") as dst:
        _populate(_client(src))
        yield base, src, dst


def _done(journal: Path) -> int:
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM versions WHERE state = 'done'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_exit_drill_kill_resume_verify_purge(servers: tuple[Path, Server, Server]) -> None:
    base, src_server, dst_server = servers
    drill = Drill(base, src_server, dst_server)
    src, dst = _client(src_server), _client(dst_server)
    total = sum(sum(_count(src, b)) for b in (LOCKED, PLAIN))
    assert total > 250

    # purge refuses before any verify: there is no manifest to vouch for the copy
    refused = drill("purge", "--manifest", str(base / "none"), "--out", str(base / "p0"),
                    "--yes-delete-source")
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    assert sum(_count(src, PLAIN)) + sum(_count(src, LOCKED)) == total

    # plan counts the cloud bucket of the hybrid spec at the source, its locks and copy time
    planned = subprocess.run(
        [sys.executable, "-m", "mlps", "exit", "plan", "--spec", str(ROOT / "Pulumi.hybrid-prod.yaml"),
         "--out", str(base / "plan"), "--source-endpoint", src_server.endpoint,
         "--source-profile", "src", "--capacity-gb", "0.0001"],
        cwd=ROOT, env=drill.env, capture_output=True, text=True, timeout=300, check=False)
    assert planned.returncode == 1, planned.stdout + planned.stderr  # capacity too small
    versions, markers = _count(src, LOCKED)
    assert f"bucket {LOCKED}: 55 object(s), {versions} version(s), {markers} delete marker(s)" \
        in planned.stdout, planned.stdout
    assert "10 version(s) under retention until" in planned.stdout
    assert "5 under legal hold" in planned.stdout
    assert "copy over line-ct (200 Mbit/s down)" in planned.stdout
    assert "capacity: needs" in planned.stdout

    # capacity declared in the spec (hosts[].capacity_gb): all versions × 2 replicas just fit,
    # one byte less capacity fails
    needed = 2 * sum(v["Size"] for page in src.get_paginator("list_object_versions").paginate(
        Bucket=LOCKED) for v in page.get("Versions", []))
    for capacity, code in ((needed / (1 << 30), 0), ((needed - 1) / (1 << 30), 1)):
        spec_dir = base / f"spec-{code}"
        spec_dir.mkdir()
        text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
        host = "{name: s3-1, zone: storage, address: 10.30.0.11, roles: [object_storage]"
        assert host in text
        (spec_dir / "Pulumi.hybrid-prod.yaml").write_text(
            text.replace(host, host + f", capacity_gb: {capacity!r}"), encoding="utf-8")
        spec = spec_dir / "Pulumi.hybrid-prod.yaml"
        fit = subprocess.run(
            [sys.executable, "-m", "mlps", "exit", "plan", "--spec", str(spec),
             "--out", str(spec_dir / "plan"), "--source-endpoint", src_server.endpoint,
             "--source-profile", "src"],
            cwd=ROOT, env=drill.env, capture_output=True, text=True, timeout=300, check=False)
        assert fit.returncode == code, fit.stdout + fit.stderr
        assert f"capacity: needs {needed} bytes" in fit.stdout, fit.stdout
        assert ("but hosts[].capacity_gb of s3-1 gives" in fit.stdout) == bool(code), fit.stdout
        assert "s3-2, s3-3 declare no capacity_gb" in fit.stdout

    # copy, killed with SIGKILL part-way (rate-limited so the kill lands mid-copy)
    proc = subprocess.Popen(drill.args("run", "--journal", str(drill.journal), "--max-mbps", "16",
                                       "--concurrency", "4"),
                            cwd=ROOT, env=drill.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _done(drill.journal) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, \
        f"run ended before the kill: {proc.stderr.read().decode() if proc.stderr else ''}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()
    first = _done(drill.journal)
    assert 40 <= first < total

    resumed = drill("run", "--journal", str(drill.journal), "--concurrency", "4")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{first}" in resumed.stdout or "already done" in resumed.stdout
    assert _done(drill.journal) == total

    # a put that landed just before a kill (journal still "inflight") is recognised, not re-put
    with sqlite3.connect(drill.journal) as db:
        db.execute("UPDATE versions SET state = 'inflight' WHERE rowid IN "
                   "(SELECT rowid FROM versions WHERE marker = 0 LIMIT 3)")
        db.execute("UPDATE versions SET state = 'inflight' WHERE rowid IN "
                   "(SELECT rowid FROM versions WHERE marker = 1 ORDER BY rowid DESC LIMIT 1)")
    before = [_count(dst, b) for b in (LOCKED, PLAIN)]
    again = drill("run", "--journal", str(drill.journal))
    assert again.returncode == 0, again.stderr
    assert "0 version(s) copied" in again.stdout
    assert [_count(dst, b) for b in (LOCKED, PLAIN)] == before
    assert [_count(dst, b) for b in (LOCKED, PLAIN)] == [_count(src, b) for b in (LOCKED, PLAIN)]

    # target kept the bucket's lock and encryption, and a version's retention and legal hold
    assert dst.get_object_lock_configuration(Bucket=LOCKED)["ObjectLockConfiguration"][
        "ObjectLockEnabled"] == "Enabled"
    rules = dst.get_bucket_encryption(Bucket=LOCKED)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    held = dst.get_object_legal_hold(Bucket=LOCKED, Key="attachments/010.pdf")
    assert held["LegalHold"]["Status"] == "ON"
    kept = dst.get_object_retention(Bucket=LOCKED, Key="attachments/000.pdf")["Retention"]
    assert kept["Mode"] == "GOVERNANCE"

    # verify: every version once, content hashes equal on both sides
    good = drill("verify", "--out", str(base / "manifest-a"))
    assert good.returncode == 0, good.stdout + good.stderr
    rows = (base / "manifest-a" / "manifest.tsv").read_text().splitlines()[1:]
    assert len(rows) == total
    assert all(r.startswith("ok\t") for r in rows)
    assert all(r.split("\t")[6] == r.split("\t")[7] for r in rows)

    # purge needs the explicit confirmation
    unconfirmed = drill("purge", "--manifest", str(base / "manifest-a"), "--out", str(base / "p1"))
    assert unconfirmed.returncode == 2 and "--yes-delete-source" in unconfirmed.stderr

    # a version written to the source after the verify: purge refuses, deletes nothing
    late = src.put_object(Bucket=PLAIN, Key="files/late.bin", Body=b"late")
    changed = drill("purge", "--manifest", str(base / "manifest-a"), "--out", str(base / "p2"),
                    "--yes-delete-source")
    assert changed.returncode == 2 and "written since the verify" in changed.stderr
    src.delete_object(Bucket=PLAIN, Key="files/late.bin", VersionId=late["VersionId"])
    assert sum(_count(src, PLAIN)) + sum(_count(src, LOCKED)) == total

    # tampered target: one version deleted, one foreign version added
    victim = next(v for v in dst.list_object_versions(Bucket=PLAIN, Prefix="files/0007.bin")["Versions"]
                  if not v["IsLatest"])
    dst.delete_object(Bucket=PLAIN, Key="files/0007.bin", VersionId=victim["VersionId"])
    dst.put_object(Bucket=PLAIN, Key="files/0011.bin", Body=b"not the hospital's data")
    bad = drill("verify", "--bucket", PLAIN, "--out", str(base / "manifest-b"))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    named = [line for line in bad.stdout.splitlines() if "\t" in line]
    assert any(line.startswith("missing\tplain-data\tfiles/0007.bin\t") for line in named), named
    assert any(line.startswith("extra\tplain-data\tfiles/0011.bin\t") for line in named), named
    refused_b = drill("purge", "--manifest", str(base / "manifest-b"), "--out", str(base / "p3"),
                      "--yes-delete-source")
    assert refused_b.returncode == 2 and "verify did not pass" in refused_b.stderr
    # the older passing manifest no longer holds: a target copy it lists is gone
    refused_a = drill("purge", "--manifest", str(base / "manifest-a"), "--out", str(base / "p4"),
                      "--yes-delete-source")
    assert refused_a.returncode == 2 and "is gone" in refused_a.stderr
    assert sum(_count(src, PLAIN)) + sum(_count(src, LOCKED)) == total

    # a manifest edited after the verify is refused by its hash
    edited = base / "manifest-c"
    assert drill("verify", "--bucket", LOCKED, "--out", str(edited)).returncode == 0
    original = (edited / "manifest.tsv").read_text()
    (edited / "manifest.tsv").write_text(original.replace("ok\t", "ok\t", 1) + "\n")
    tampered = drill("purge", "--manifest", str(edited), "--out", str(base / "p5"), "--yes-delete-source")
    assert tampered.returncode == 2 and "SHA-256" in tampered.stderr
    (edited / "manifest.tsv").write_text(original)

    # purge of the locked bucket: unlocked versions deleted, locked ones kept with their date
    purged = drill("purge", "--manifest", str(edited), "--out", str(base / "p6"), "--yes-delete-source")
    assert purged.returncode == 1, purged.stdout + purged.stderr
    record = (base / "p6" / "purge.tsv").read_text().splitlines()
    locked = [r for r in record if r.startswith("locked\t")]
    assert len(locked) == 15
    assert all("retention until" in r or "legal hold" in r for r in locked)
    left = {v["Key"] for v in src.list_object_versions(Bucket=LOCKED).get("Versions", [])}
    assert left == {f"attachments/{i:03d}.pdf" for i in range(15)}
    assert _count(dst, LOCKED) == before[0]

    # a legal hold dropped on the target is named (SeaweedFS 4.48 also resets the content type
    # when a legal hold is changed, so the line says both)
    dst.put_object_legal_hold(Bucket=LOCKED, Key="attachments/011.pdf", LegalHold={"Status": "OFF"})
    weak = drill("verify", "--bucket", LOCKED, "--out", str(base / "manifest-w"))
    assert weak.returncode == 1, weak.stdout + weak.stderr
    assert any(line.split("\t")[:3] == [line.split("\t")[0], LOCKED, "attachments/011.pdf"]
               and line.split("\t")[0] in ("weakened", "altered") and "legal hold dropped" in line
               for line in weak.stdout.splitlines()), weak.stdout


def _copied(servers: tuple[Path, Server, Server], bucket: str, lock: bool,
            puts: list[dict[str, Any]], *extra: str) -> tuple[Drill, Any, Any]:
    """A fresh source bucket with ``puts``, copied by ``mlps exit run``, verified clean."""
    base, src_server, dst_server = servers
    drill = Drill(base, src_server, dst_server)
    src, dst = _client(src_server), _client(dst_server)
    if lock:
        src.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    else:
        src.create_bucket(Bucket=bucket)
        src.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for put in puts:
        src.put_object(Bucket=bucket, **put)
    run = drill("run", "--journal", str(base / f"{bucket}.sqlite"), "--bucket", bucket, *extra)
    assert run.returncode == 0, run.stdout + run.stderr
    clean = drill("verify", "--bucket", bucket, "--out", str(base / f"{bucket}-clean"))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    return drill, src, dst


def _named(drill: Drill, bucket: str, out: str) -> list[list[str]]:
    """Verify ``bucket`` after tampering: exit 1, and the problem lines split into fields."""
    bad = drill("verify", "--bucket", bucket, "--out", str(drill.base / out))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr
    return [line.split("\t") for line in bad.stdout.splitlines() if "\t" in line]


def _only(dst: Any, bucket: str, key: str) -> str:
    """The one version id of ``key`` on ``dst``."""
    found = dst.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert len(found) == 1, found
    return str(found[0]["VersionId"])


def _forge(dst: Any, bucket: str, key: str, body: bytes | None = None,
           metadata: dict[str, str] | None = None) -> None:
    """Replace the target copy of ``key`` by one claiming the same source version (and keeping
    its content type, tags and mlps metadata) with other ``body`` or user ``metadata``."""
    version = _only(dst, bucket, key)
    old = dst.get_object(Bucket=bucket, Key=key, VersionId=version)
    tags = dst.get_object_tagging(Bucket=bucket, Key=key, VersionId=version)["TagSet"]
    meta = dict(old["Metadata"])
    meta.update(metadata or {})
    content = old["Body"].read() if body is None else body
    dst.delete_object(Bucket=bucket, Key=key, VersionId=version)
    dst.put_object(Bucket=bucket, Key=key, Body=content, ContentType=old["ContentType"],
                   Metadata=meta, Tagging="&".join(f"{t['Key']}={t['Value']}" for t in tags))


def test_verify_names_retention_shortened_on_target(servers: tuple[Path, Server, Server]) -> None:
    until = datetime.now(UTC) + timedelta(days=2)
    bucket, key = "atk-retention", "consent/0001.pdf"
    drill, _, dst = _copied(servers, bucket, True, [
        {"Key": key, "Body": b"%PDF consent", "ContentType": "application/pdf",
         "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}])
    dst.put_object_retention(Bucket=bucket, Key=key, VersionId=_only(dst, bucket, key),
                             Retention={"Mode": "GOVERNANCE",
                                        "RetainUntilDate": datetime.now(UTC) + timedelta(hours=1)},
                             BypassGovernanceRetention=True)
    named = _named(drill, bucket, "v-retention")
    assert [f[:3] for f in named] == [["weakened", bucket, key]], named
    assert "retention GOVERNANCE until" in named[0][8] and "GOVERNANCE until" in named[0][8].split(
        "on the source, ")[1], named


def test_verify_names_governance_instead_of_compliance(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-mode", "consent/0002.pdf"
    until = datetime.now(UTC) + timedelta(days=2)
    drill, _, dst = _copied(servers, bucket, True, [
        {"Key": key, "Body": b"%PDF mode", "ContentType": "application/pdf",
         "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}])
    # the source is raised to COMPLIANCE after the copy; the target copy stays GOVERNANCE
    src = _client(servers[1])
    src.put_object_retention(Bucket=bucket, Key=key, VersionId=_only(src, bucket, key),
                             Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
                             BypassGovernanceRetention=True)
    named = _named(drill, bucket, "v-mode")
    assert [f[:3] for f in named] == [["weakened", bucket, key]], named
    assert "retention COMPLIANCE until" in named[0][8] and "GOVERNANCE until" in named[0][8], named
    # the same date in COMPLIANCE on the target passes: the mode was what failed
    dst.put_object_retention(Bucket=bucket, Key=key, VersionId=_only(dst, bucket, key),
                             Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
                             BypassGovernanceRetention=True)
    again = drill("verify", "--bucket", bucket, "--out", str(drill.base / "v-mode-fixed"))
    assert again.returncode == 0, again.stdout + again.stderr


def test_verify_names_legal_hold_lost(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-hold", "claims/0003.pdf"
    drill, _, dst = _copied(servers, bucket, True, [
        {"Key": key, "Body": b"%PDF held", "ContentType": "application/pdf",
         "ObjectLockLegalHoldStatus": "ON"},
        {"Key": "claims/0004.pdf", "Body": b"%PDF free", "ContentType": "application/pdf"}])
    dst.put_object_legal_hold(Bucket=bucket, Key=key, VersionId=_only(dst, bucket, key),
                              LegalHold={"Status": "OFF"})
    named = _named(drill, bucket, "v-hold")
    assert [f[:3] for f in named] == [["weakened", bucket, key]], named
    assert "legal hold dropped" in named[0][8], named


def test_verify_names_altered_content_of_same_size(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-content", "studies/0005.dcm"
    body = random.Random(5).randbytes(4096)  # noqa: S311  test data
    drill, _, dst = _copied(servers, bucket, False, [
        {"Key": key, "Body": body, "ContentType": "application/dicom", "Metadata": {"patient": "P5"}},
        {"Key": "studies/0006.dcm", "Body": b"other", "ContentType": "application/dicom"}])
    forged = bytes([body[0] ^ 1]) + body[1:]
    _forge(dst, bucket, key, body=forged)
    named = _named(drill, bucket, "v-content")
    assert [f[:3] for f in named] == [["altered", bucket, key]], named
    assert named[0][8] == "content differs (4096 vs 4096 bytes)", named
    assert named[0][6] == hashlib.sha256(body).hexdigest()
    assert named[0][7] == hashlib.sha256(forged).hexdigest()


def test_verify_names_missing_version(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-missing", "files/0007.bin"
    drill, src, dst = _copied(servers, bucket, False, [
        {"Key": key, "Body": b"first"}, {"Key": key, "Body": b"second"}])
    versions = dst.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    older = next(v for v in versions if not v["IsLatest"])
    dst.delete_object(Bucket=bucket, Key=key, VersionId=older["VersionId"])
    first = next(v for v in src.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
                 if not v["IsLatest"])["VersionId"]
    named = _named(drill, bucket, "v-missing")
    assert [f[:4] for f in named] == [["missing", bucket, key, first]], named
    assert named[0][8] == "no target version", named


def test_verify_names_extra_version(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-extra", "files/0008.bin"
    drill, _, dst = _copied(servers, bucket, False, [{"Key": key, "Body": b"hospital data"}])
    planted = dst.put_object(Bucket=bucket, Key=key, Body=b"planted on the target")["VersionId"]
    named = _named(drill, bucket, "v-extra")
    assert [f[:5] for f in named] == [["extra", bucket, key, "-", planted]], named
    assert "target version of no source version" in named[0][8], named


def test_verify_names_changed_user_metadata(servers: tuple[Path, Server, Server]) -> None:
    bucket, key = "atk-metadata", "studies/0009.dcm"
    drill, _, dst = _copied(servers, bucket, False, [
        {"Key": key, "Body": b"DICM", "ContentType": "application/dicom",
         "Metadata": {"patient": "P000009", "study": "CT"}}])
    _forge(dst, bucket, key, metadata={"patient": "P000010"})
    named = _named(drill, bucket, "v-metadata")
    assert [f[:3] for f in named] == [["altered", bucket, key]], named
    assert named[0][8] == "user metadata differs (patient)", named
    assert named[0][6] == named[0][7]  # same content: only the metadata changed


def test_multipart_copy_above_part_size(servers: tuple[Path, Server, Server]) -> None:
    bucket = "big-scans"
    rng = random.Random(20)  # noqa: S311  test data
    big, edge = rng.randbytes(20 << 20), rng.randbytes(5 << 20)
    until = datetime.now(UTC) + timedelta(days=2)
    drill, _, dst = _copied(servers, bucket, True, [
        {"Key": "ct/series-1.bin", "Body": big, "ContentType": "application/dicom",
         "Metadata": {"patient": "P000020"}, "Tagging": "class=core",
         "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until},
        {"Key": "ct/series-2.bin", "Body": edge}], "--part-size-mib", "5")
    # above one part: a multipart upload of four 5 MiB parts; exactly one part: a single PUT
    assert dst.head_object(Bucket=bucket, Key="ct/series-1.bin")["ETag"].strip('"').endswith("-4")
    assert "-" not in dst.head_object(Bucket=bucket, Key="ct/series-2.bin")["ETag"]
    kept = dst.get_object_retention(Bucket=bucket, Key="ct/series-1.bin")["Retention"]
    assert kept["Mode"] == "GOVERNANCE"
    rows = [r.split("\t") for r in (drill.base / f"{bucket}-clean" / "manifest.tsv")
            .read_text().splitlines()[1:]]
    by_key = {r[2]: r for r in rows}
    assert by_key["ct/series-1.bin"][0] == "ok" and by_key["ct/series-1.bin"][5] == str(20 << 20)
    assert by_key["ct/series-1.bin"][6] == by_key["ct/series-1.bin"][7] == hashlib.sha256(big).hexdigest()
    assert by_key["ct/series-2.bin"][7] == hashlib.sha256(edge).hexdigest()
    wrong = drill("run", "--journal", str(drill.base / "big.sqlite"), "--bucket", bucket,
                  "--part-size-mib", "4")
    assert wrong.returncode == 2 and "--part-size-mib" in wrong.stderr


def test_way_in_onprem_bucket_to_cloud(servers: tuple[Path, Server, Server]) -> None:
    """The same drill in the other direction: an on-prem bucket planned, copied, verified and
    purged into the cloud store, the copy time taken from the lines' upload bandwidth."""
    import yaml

    from tests.exit.test_plan_cloud import with_uploads

    base, cloud_server, onprem_server = servers
    way_in = base / "way-in"
    way_in.mkdir()
    drill = Drill(way_in, onprem_server, cloud_server)
    onprem, cloud = _client(onprem_server), _client(cloud_server)
    bucket, rng = "staff-uploads", random.Random(11)  # noqa: S311  test data
    until = datetime.now(UTC) + timedelta(days=2)
    onprem.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    for i in range(12):
        key = f"notices/{i:02d}.pdf"
        lock: dict[str, Any] = ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}
                                if i < 3 else {})
        onprem.put_object(Bucket=bucket, Key=key, Body=rng.randbytes(4096), ContentType="application/pdf",
                          Metadata={"notice": str(i)}, **lock)
        if i % 4 == 0:
            onprem.put_object(Bucket=bucket, Key=key, Body=rng.randbytes(2048))
    onprem.delete_object(Bucket=bucket, Key="notices/05.pdf")
    raw = yaml.safe_load((ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8"))
    raw["config"]["mlps:environment"] = with_uploads()
    spec = way_in / "Pulumi.hybrid-prod.yaml"
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

    planned = subprocess.run(
        [sys.executable, "-m", "mlps", "exit", "plan", "--spec", str(spec), "--to", "cloud",
         "--bucket", bucket, "--out", str(way_in / "plan"), "--source-endpoint",
         onprem_server.endpoint, "--source-profile", "src"],
        cwd=ROOT, env=drill.env, capture_output=True, text=True, timeout=300, check=False)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert f"bucket {bucket}: 11 object(s), 15 version(s), 1 delete marker(s)" in planned.stdout
    assert "3 version(s) under retention until" in planned.stdout
    assert "copy over line-ct (200 Mbit/s up)" in planned.stdout, planned.stdout

    run = drill("run", "--journal", str(way_in / "journal.sqlite"), "--bucket", bucket)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _count(cloud, bucket) == _count(onprem, bucket) == (15, 1)
    assert cloud.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"][
        "ObjectLockEnabled"] == "Enabled"
    assert cloud.get_object_retention(Bucket=bucket, Key="notices/01.pdf")["Retention"][
        "Mode"] == "GOVERNANCE"
    verified = drill("verify", "--bucket", bucket, "--out", str(way_in / "manifest"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    purged = drill("purge", "--manifest", str(way_in / "manifest"), "--out", str(way_in / "purge"),
                   "--yes-delete-source")
    assert purged.returncode == 1, purged.stdout + purged.stderr  # three stay locked on-prem
    left = {v["Key"] for v in onprem.list_object_versions(Bucket=bucket).get("Versions", [])}
    assert left == {"notices/00.pdf", "notices/01.pdf", "notices/02.pdf"}
    assert _count(cloud, bucket) == (15, 1)
