"""Tags, retention and legal hold read from the GET headers (CLD-MIG-01), between two real
SeaweedFS S3 servers on loopback.

A version costs a GET and a PUT once the bucket's sample has shown that the source reports in
its headers what the explicit reads return; a source that leaves them out is read version by
version with its own requests, and every tag, retention and hold still reaches the target.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlps.exit.copy import (
    Copier,
    RateLimit,
    copy_bucket,
    prepare_target,
    protection,
    reported,
    source_settings,
)
from mlps.exit.journal import Journal
from mlps.exit.s3 import versions
from tests.exit.seaweed import Server, seaweed

pytestmark = pytest.mark.slow

BUCKET = "pacs-archive"
UNTIL = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


def _client(server: Server) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1")


class Counted:
    """A source client that counts the requests made through it and, with ``hide``, answers
    GETs without the tag-count and object-lock headers (a store that does not report them)."""

    def __init__(self, s3: Any, hide: bool = False) -> None:
        self.s3, self.hide, self.calls = s3, hide, Counter[str]()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.s3, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            answer = method(*args, **kwargs)
            if name == "get_object" and self.hide:
                for header in ("TagCount", "ObjectLockMode", "ObjectLockRetainUntilDate",
                               "ObjectLockLegalHoldStatus"):
                    answer.pop(header, None)
            return answer

        return call


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    """The source store; each test copies into a fresh target of its own."""
    base = tmp_path_factory.mktemp("headers")
    with seaweed(base, "cloud") as src:
        s3 = _client(src)
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        for i in range(40):  # plain versions first, the protected ones past any sample
            extra: dict[str, Any] = {}
            if i >= 30:
                extra = {"Tagging": f"class=core&n={i}"}
            if i >= 34:
                extra.update(ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=UNTIL)
            if i == 39:
                extra["ObjectLockLegalHoldStatus"] = "ON"
            s3.put_object(Bucket=BUCKET, Key=f"ct/{i:03d}.dcm", Body=bytes([i]) * 2048,
                          ContentType="application/dicom", **extra)
        yield base, src


def _copy(base: Path, name: str, src: Any, dst: Any, sample: int) -> Copier:
    settings = source_settings(src, BUCKET)
    prepare_target(dst, BUCKET, settings, name)
    journal = Journal(base / f"{name}.sqlite")
    try:
        copier = Copier(src, dst, BUCKET, journal, settings, RateLimit(None), lambda _n: None,
                        sample=sample)
        copy_bucket(copier, 4)
    finally:
        journal.close()
    return copier


def _carried(src: Any, dst: Any) -> None:
    """Every version's tags, retention and legal hold are the same on both sides."""
    source = [e for g in versions(src, BUCKET) for e in g]
    target = {e.key: e for g in versions(dst, BUCKET) for e in g}
    assert len(target) == len(source) == 40
    for entry in source:
        copy = target[entry.key]
        tags = [src.get_object_tagging(Bucket=BUCKET, Key=entry.key, VersionId=entry.version)["TagSet"],
                dst.get_object_tagging(Bucket=BUCKET, Key=entry.key, VersionId=copy.version)["TagSet"]]
        assert sorted(map(str, tags[0])) == sorted(map(str, tags[1])), entry.key
        assert protection(src, BUCKET, entry) == protection(dst, BUCKET, copy), entry.key


def test_headers_alone_after_the_sample(stores: tuple[Path, Server]) -> None:
    base, src_server = stores
    with seaweed(base, "onprem-a") as target:
        src, dst = Counted(_client(src_server)), _client(target)
        copier = _copy(base, "a", src, dst, sample=5)
        assert copier.copied == 40 and copier.notes == []
        # 5 versions read both ways; after them only the 10 tagged versions need a tagging read
        assert src.calls["get_object"] == 40
        assert src.calls["get_object_tagging"] == 5 + 10
        assert src.calls["get_object_retention"] == src.calls["get_object_legal_hold"] == 5
        _carried(_client(src_server), dst)


def test_a_store_without_the_headers_is_read_explicitly(stores: tuple[Path, Server]) -> None:
    base, src_server = stores
    with seaweed(base, "onprem-b") as target:
        src, dst = Counted(_client(src_server), hide=True), _client(target)
        copier = _copy(base, "b", src, dst, sample=40)  # the sample reaches the tagged versions
        assert copier.notes and "leaves tags, retention or legal hold out" in copier.notes[0]
        assert src.calls["get_object_tagging"] == src.calls["get_object_retention"] == 40
        _carried(_client(src_server), dst)


def test_an_exhausted_sample_trusts_the_headers(stores: tuple[Path, Server]) -> None:
    """With the sample spent on plain versions a store that hides its headers loses the tags and
    locks in the copy: what ``verify`` exists for, and why the sample reads both ways."""
    base, src_server = stores
    with seaweed(base, "onprem-c") as target:
        src, dst = Counted(_client(src_server), hide=True), _client(target)
        copier = _copy(base, "c", src, dst, sample=5)
        assert copier.notes == []
        assert src.calls["get_object_tagging"] == 5
        with pytest.raises(AssertionError):
            _carried(_client(src_server), dst)


def test_reported_reads_the_get_headers() -> None:
    until = datetime(2027, 1, 1, tzinfo=UTC)
    assert reported({}) == (0, ("", None, False))
    assert reported({"TagCount": 2, "ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until,
                     "ObjectLockLegalHoldStatus": "ON"}) == (2, ("COMPLIANCE", until, True))
    assert reported({"ObjectLockLegalHoldStatus": "OFF"}) == (0, ("", None, False))
