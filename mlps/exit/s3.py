"""S3 clients for the drill and the one-line errors of an unusable endpoint.

Credentials come from boto3's own chain (AWS_* variables, a named profile of the shared
credentials file): never from the command line, never logged. Connections time out after a
few seconds and are retried a bounded number of times, so an unreachable endpoint ends the
command with one line (exit 2) instead of hanging.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from mlps.errors import InputError

Client = Any  # botocore's generated S3 client has no static type

_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
                "ExpiredToken", "Forbidden", "403"}


def client(endpoint: str, profile: str | None = None, *, option: str = "--endpoint") -> Client:
    """An S3 client for ``endpoint`` (path-style, SigV4, short timeouts, bounded retries)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(option, f"'{endpoint}' is not an http(s) URL",
                         "give the S3 endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com")
    try:
        session = boto3.session.Session(profile_name=profile)
        return session.client(
            "s3", endpoint_url=endpoint, region_name=session.region_name or "us-east-1",
            config=Config(connect_timeout=3, read_timeout=60, signature_version="s3v4",
                          retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))
    except BotoCoreError as exc:  # unknown profile, unreadable config
        raise InputError(option, f"no S3 client for {endpoint}: {exc}",
                         "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or name a profile") from None


def code(exc: BaseException) -> str:
    """The S3 error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    return str(error.get("Code", "")) if isinstance(error, dict) else ""


@contextlib.contextmanager
def errors(endpoint: str, what: str) -> Iterator[None]:
    """Turn connection, credential and missing-bucket errors into one InputError line."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise InputError(endpoint, f"no S3 credentials to {what}",
                         "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile") from None
    except EndpointConnectionError:
        raise InputError(endpoint, f"cannot connect to {what}",
                         "check the URL, the line and the firewall") from None
    except ClientError as exc:
        found = code(exc)
        if found in ("NoSuchBucket", "404", "NotFound"):
            raise InputError(endpoint, f"{what}: bucket not found",
                             "check the bucket name (--bucket)") from None
        if found in _CREDENTIALS:
            raise InputError(endpoint, f"{what}: credentials refused ({found})",
                             "check the access key, secret key and their grants") from None
        raise InputError(endpoint, f"{what}: {found or exc}", "see the endpoint's logs") from None
    except BotoCoreError as exc:
        raise InputError(endpoint, f"{what}: {exc}", "check the endpoint and the line") from None


def buckets(s3: Client) -> list[str]:
    """Names of every bucket the credentials see."""
    return sorted(b["Name"] for b in s3.list_buckets().get("Buckets", []))


class Entry:
    """One version or delete marker of one key, as a listing gives it."""

    __slots__ = ("etag", "key", "latest", "marker", "modified", "size", "version")

    def __init__(self, key: str, version: str, marker: bool, size: int, modified: datetime,
                 etag: str = "", latest: bool = False) -> None:
        self.key, self.version, self.marker = key, version, marker
        self.size, self.modified, self.etag, self.latest = size, modified, etag, latest

    def __repr__(self) -> str:
        kind = "marker" if self.marker else f"{self.size} B"
        return f"{self.key}@{self.version} ({kind})"


def versions(s3: Client, bucket: str, prefix: str = "") -> Iterator[list[Entry]]:
    """Every key's versions and delete markers, oldest first, one key at a time.

    Pages of the listing are read one after the other; only the versions of the key at hand
    stay in memory (a key's versions may span pages).
    """
    kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": 1000}
    if prefix:
        kwargs["Prefix"] = prefix
    current: list[tuple[Entry, int]] = []
    order = 0
    while True:
        page = s3.list_object_versions(**kwargs)
        found: list[tuple[Entry, int]] = []
        for item in page.get("Versions", []):
            found.append((Entry(item["Key"], str(item.get("VersionId") or "null"), False,
                                int(item.get("Size", 0)), item["LastModified"],
                                str(item.get("ETag", "")), bool(item.get("IsLatest"))), order))
            order += 1
        for item in page.get("DeleteMarkers", []):
            found.append((Entry(item["Key"], str(item.get("VersionId") or "null"), True, 0,
                                item["LastModified"], latest=bool(item.get("IsLatest"))), order))
            order += 1
        found.sort(key=lambda pair: pair[0].key)
        for entry, seen in found:
            if current and current[0][0].key != entry.key:
                yield _oldest_first(current)
                current = []
            current.append((entry, seen))
        if not page.get("IsTruncated"):
            break
        kwargs["KeyMarker"] = page.get("NextKeyMarker", "")
        kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker", "")
    if current:
        yield _oldest_first(current)


def _oldest_first(entries: list[tuple[Entry, int]]) -> list[Entry]:
    """Oldest first by modification time; within the same instant the latest goes last, then
    the listing's order (newest first) reversed."""
    return [e for e, _ in sorted(entries, key=lambda pair: (pair[0].modified, pair[0].latest, -pair[1]))]
