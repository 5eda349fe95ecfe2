"""``mlps exit run``: copy every object version, oldest first per key, into the target store.

The engine does not know which side is the cloud: leaving it (cloud → on-prem) and moving into
it (on-prem → cloud) are the same copy between two S3 endpoints.

Memory stays bounded: listings are read a page at a time and one key's versions at a time,
bodies are streamed through a spool (memory up to 8 MiB, then a temporary file) that also
yields their SHA-256 before the target put (a multipart upload, one part in memory at a time,
for a version larger than one part), and at most ``concurrency`` keys are copied at once
(versions of one key in order, so the target's version history keeps the source's order).
Each target object carries its source version and SHA-256 in user metadata
(``mlps-source-version``, ``mlps-sha256``): a resumed run recognises a put that landed just
before a kill, and ``verify`` matches versions by it.

A version's tags, retention and legal hold are read from the headers of its GET (the S3 API
returns ``x-amz-tagging-count`` and the ``x-amz-object-lock-*`` headers with the object), so a
version costs a GET and a PUT (and a tagging read when it has tags). The first ``sample``
versions of each bucket are also read with their own requests; where a store leaves out of its
headers what those requests return, the rest of the bucket is read the same way, and the run
says so. ``verify`` always reads them with their own requests on both sides.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlencode

from mlps.errors import InputError
from mlps.exit.journal import DONE, INFLIGHT, Journal
from mlps.exit.s3 import Client, Entry, code, versions

CHUNK = 1 << 20
SPOOL = 8 << 20
MIB = 1 << 20
MAX_PUT = 5 << 30  # one PUT (S3); larger versions go by multipart upload
MIN_PART, MAX_PARTS = 5 * MIB, 10_000  # S3: parts of 5 MiB at least (but the last), 10,000 at most
PART = 64 * MIB
SAMPLE = 16  # versions per bucket whose headers are checked against the explicit reads
SOURCE_VERSION, SHA256 = "mlps-source-version", "mlps-sha256"
_PASSED = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage",
           "ContentType")
_NO_LOCK = {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration",
            "InvalidRequest"}
_NO_PROTECTION = {"NoSuchObjectLockConfiguration", "NoSuchKey", "NoSuchObjectLegalHold",
                  "NoSuchObjectRetention", "ObjectLockConfigurationNotFoundError", "InvalidRequest"}
_NO_ENC = {"ServerSideEncryptionConfigurationNotFoundError"}


class RateLimit:
    """A token bucket shared by the copy threads: at most ``mbps`` Mbit/s read from the source."""

    def __init__(self, mbps: float | None) -> None:
        self.rate = mbps * 125_000 if mbps else None  # bytes per second
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, size: int) -> None:
        if self.rate is None:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + size / self.rate
            wait = start - now
        if wait > 0:
            time.sleep(wait)


@dataclass
class BucketSettings:
    """What the target bucket must have because the source has it."""

    versioning: bool = False
    lock: bool = False
    lock_rule: dict[str, Any] | None = None
    encryption: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def source_settings(src: Client, bucket: str) -> BucketSettings:
    """Versioning, object lock (and its default rule) and default encryption of ``bucket``."""
    settings = BucketSettings()
    settings.versioning = src.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
    try:
        lock = src.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        settings.lock = lock.get("ObjectLockEnabled") == "Enabled"
        settings.lock_rule = lock.get("Rule")
    except Exception as exc:
        if code(exc) not in _NO_LOCK:
            raise
    try:
        rules = src.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        if algorithm != "AES256":
            settings.notes.append(f"{bucket}: source encryption {algorithm} becomes AES256 "
                                  "(SSE-S3) on the target; the cloud KMS key does not move")
        settings.encryption = {"Rules": [{"ApplyServerSideEncryptionByDefault":
                                          {"SSEAlgorithm": "AES256"}}]}
    except Exception as exc:
        if code(exc) not in _NO_ENC:
            raise
    return settings


def prepare_target(dst: Client, bucket: str, settings: BucketSettings, endpoint: str) -> None:
    """Create the target bucket as the source is, or check an existing one can take the copy.

    An existing bucket keeps its own default encryption (the stack may have set the hospital's
    KMS key on a cloud bucket); one without any gets AES256 when the source has encryption.
    """
    try:
        dst.head_bucket(Bucket=bucket)
        exists = True
    except Exception as exc:
        if code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        exists = False
    if exists:
        if settings.lock and not _has_lock(dst, bucket):
            raise InputError(endpoint, f"target bucket {bucket} exists without object lock while "
                             "the source has it", "remove it or create it with object lock")
    else:
        dst.create_bucket(Bucket=bucket, **({"ObjectLockEnabledForBucket": True} if settings.lock else {}))
    if settings.versioning or settings.lock:
        dst.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if settings.lock and settings.lock_rule and not exists:
        dst.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": settings.lock_rule})
    if settings.encryption and not (exists and _has_encryption(dst, bucket)):
        dst.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=settings.encryption)


def _has_encryption(s3: Client, bucket: str) -> bool:
    """The bucket has a default encryption of its own (e.g. the cloud KMS key the stack set)."""
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except Exception as exc:
        if code(exc) in _NO_ENC:
            return False
        raise
    return bool(rules)


def _has_lock(s3: Client, bucket: str) -> bool:
    try:
        lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except Exception as exc:
        if code(exc) in _NO_LOCK:
            return False
        raise
    return bool(lock.get("ObjectLockEnabled") == "Enabled")


Protection = tuple[str, datetime | None, bool]


def reported(obj: dict[str, Any]) -> tuple[int, Protection]:
    """(tag count, (retention mode, retain-until date, legal hold)) from a GET's headers."""
    return (int(obj.get("TagCount") or 0),
            (str(obj.get("ObjectLockMode") or ""), obj.get("ObjectLockRetainUntilDate"),
             obj.get("ObjectLockLegalHoldStatus") == "ON"))


def protection(s3: Client, bucket: str, entry: Entry) -> Protection:
    """(retention mode, retain-until date, legal hold) of one version ('' / None / False)."""
    mode, until, hold = "", None, False
    try:
        retention = s3.get_object_retention(Bucket=bucket, Key=entry.key, VersionId=entry.version)
        mode = str(retention["Retention"].get("Mode", ""))
        until = retention["Retention"].get("RetainUntilDate")
    except Exception as exc:
        if code(exc) not in _NO_PROTECTION:
            raise
    try:
        held = s3.get_object_legal_hold(Bucket=bucket, Key=entry.key, VersionId=entry.version)
        hold = held["LegalHold"].get("Status") == "ON"
    except Exception as exc:
        if code(exc) not in _NO_PROTECTION:
            raise
    return mode, until, hold


class Copier:
    """Copies the versions of one bucket, key by key, recording each in the journal."""

    def __init__(self, src: Client, dst: Client, bucket: str, journal: Journal, settings: BucketSettings,
                 limit: RateLimit, progress: Callable[[int], None], part_size: int = PART,
                 sample: int = SAMPLE) -> None:
        if not MIN_PART <= part_size <= MAX_PUT:
            raise ValueError(f"part size {part_size} outside {MIN_PART}..{MAX_PUT} bytes")
        self.src, self.dst, self.bucket, self.journal = src, dst, bucket, journal
        self.settings, self.limit, self.progress = settings, limit, progress
        self.part_size = part_size
        self.copied = self.skipped = self.recovered = 0
        self.sample = sample  # versions still to read both ways; -1: always read explicitly
        self.notes: list[str] = []
        self._count = threading.Lock()

    def key(self, group: list[Entry]) -> None:
        """Copy the versions of one key the journal does not have as done, oldest first."""
        key = group[0].key
        states = self.journal.states(self.bucket, key)
        pending = [e for e in group if states.get(e.version, ("",))[0] != DONE]
        with self._count:
            self.skipped += len(group) - len(pending)
        if not pending:
            return
        landed = self._landed(key, pending, states)
        for entry in pending:
            if entry.version in landed:
                self.journal.finish(self.bucket, key, entry.version, *landed[entry.version])
                with self._count:
                    self.recovered += 1
                self.progress(entry.size)
                continue
            self.journal.start(self.bucket, key, entry.version, entry.marker, entry.size)
            digest, target_version = self._put(entry)
            self.journal.finish(self.bucket, key, entry.version, digest, target_version)
            with self._count:
                self.copied += 1
            self.progress(entry.size)

    def _landed(self, key: str, pending: list[Entry], states: dict[str, tuple[str, str, str]]
                ) -> dict[str, tuple[str, str]]:
        """In-flight versions a killed run did put: source version → (sha256, target version)."""
        inflight = [e for e in pending if states.get(e.version, ("",))[0] == INFLIGHT]
        if not inflight:
            return {}
        target = [e for g in versions(self.dst, self.bucket, prefix=key) for e in g if e.key == key]
        found: dict[str, tuple[str, str]] = {}
        for entry in target:
            if not entry.marker:
                meta = self.dst.head_object(Bucket=self.bucket, Key=key, VersionId=entry.version)
                source = meta.get("Metadata", {}).get(SOURCE_VERSION)
                if source:
                    found[source] = (meta["Metadata"].get(SHA256, ""), entry.version)
        done = sum(1 for state, _, _ in states.values() if state == DONE)
        for entry in inflight:
            if entry.marker and len(target) > done and target[-1].marker:
                found[entry.version] = ("", target[-1].version)
        return found

    def _put(self, entry: Entry) -> tuple[str, str]:
        if entry.marker:
            answer = self.dst.delete_object(Bucket=self.bucket, Key=entry.key)
            return "", str(answer.get("VersionId", ""))
        obj = self.src.get_object(Bucket=self.bucket, Key=entry.key, VersionId=entry.version)
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
            body = obj["Body"]
            size = 0
            for chunk in iter(lambda: body.read(CHUNK), b""):
                self.limit.take(len(chunk))
                digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            metadata = dict(obj.get("Metadata") or {})
            metadata[SOURCE_VERSION] = entry.version
            metadata[SHA256] = digest.hexdigest()
            kwargs: dict[str, Any] = {k: obj[k] for k in _PASSED if obj.get(k)}
            kwargs.update(Bucket=self.bucket, Key=entry.key, Metadata=metadata)
            tags, (mode, until, hold) = self._attributes(entry, obj)
            if tags:
                kwargs["Tagging"] = urlencode([(t["Key"], t["Value"]) for t in tags])
            if self.settings.lock:
                if mode and until is not None and until > datetime.now(UTC):
                    kwargs.update(ObjectLockMode=mode, ObjectLockRetainUntilDate=until)
                if hold:
                    kwargs["ObjectLockLegalHoldStatus"] = "ON"
            if size > self.part_size:
                return digest.hexdigest(), self._multipart(spool, size, kwargs)
            answer = self.dst.put_object(Body=spool, ContentLength=size, **kwargs)
        return digest.hexdigest(), str(answer.get("VersionId", ""))

    def _attributes(self, entry: Entry, obj: dict[str, Any]) -> tuple[list[dict[str, str]], Protection]:
        """Tags and protection of a version: from its GET headers, or read with their own
        requests while the bucket's sample lasts and for good once the headers fell short."""
        count, headed = reported(obj)
        with self._count:
            explicit = self.sample != 0
            if self.sample > 0:
                self.sample -= 1
        if not explicit:
            return (self._tags(entry) if count else []), headed
        tags = self._tags(entry)
        found = protection(self.src, self.bucket, entry) if self.settings.lock else headed
        if len(tags) != count or found != headed:
            with self._count:
                if self.sample != -1:
                    self.sample = -1
                    self.notes.append(
                        f"{self.bucket}: the source leaves tags, retention or legal hold out of "
                        "its GET headers; every version was read with its own requests")
        return tags, found

    def _tags(self, entry: Entry) -> list[dict[str, str]]:
        answer = self.src.get_object_tagging(Bucket=self.bucket, Key=entry.key, VersionId=entry.version)
        return list(answer.get("TagSet", []))

    def _multipart(self, spool: IO[bytes], size: int, kwargs: dict[str, Any]) -> str:
        """Upload ``size`` bytes of ``spool`` in parts (aborted on any failure); the version id."""
        part = max(self.part_size, -(-size // MAX_PARTS))
        upload = self.dst.create_multipart_upload(**kwargs)["UploadId"]
        where = {"Bucket": kwargs["Bucket"], "Key": kwargs["Key"], "UploadId": upload}
        try:
            parts = []
            for number in range(1, -(-size // part) + 1):
                chunk = spool.read(part)
                answer = self.dst.upload_part(Body=chunk, PartNumber=number, **where)
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
            done = self.dst.complete_multipart_upload(MultipartUpload={"Parts": parts}, **where)
        except BaseException:
            with contextlib.suppress(Exception):
                self.dst.abort_multipart_upload(**where)
            raise
        return str(done.get("VersionId", ""))


def copy_bucket(copier: Copier, concurrency: int) -> None:
    """Copy every key of the copier's bucket with at most ``concurrency`` keys at once."""
    slots = threading.BoundedSemaphore(concurrency * 2)
    failures: list[BaseException] = []

    def done(future: Future[None]) -> None:
        slots.release()
        error = future.exception()
        if error is not None:
            failures.append(error)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mlps-exit") as pool:
        for group in versions(copier.src, copier.bucket):
            if failures:
                break
            slots.acquire()
            pool.submit(copier.key, group).add_done_callback(done)
    if failures:
        raise failures[0]


def bucket_bytes(src: Client, bucket: str) -> int:
    """Bytes of every version of ``bucket`` (one listing pass, for the progress bar)."""
    return sum(e.size for group in versions(src, bucket) for e in group)
