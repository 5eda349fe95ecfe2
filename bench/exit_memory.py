"""Peak memory of `mlps exit run` for a million journal entries (`python -m bench.exit_memory`).

The copy engine (mlps.exit.copy: listing pages, key groups, the thread pool, the SQLite journal)
runs against a synthetic S3 client that lists ``--entries`` versions (one key in five with three
versions, one in fifty ending in a delete marker) in pages of 1,000 and answers every get with
a small body and every put with a new version id. No store is involved, so what grows with
the number of entries is the engine's own memory. Two phases, each in a fresh process so that
its peak is its own: the copy into a new journal, then a resumed run that finds every version
done. Each prints the resident set after imports (boto3 included, as in a real run), the peak
(``ru_maxrss``), the entries per second and the journal's size. Goal: peak ≤ 200 MB at 1
million entries.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PAGE = 1000
BODY = b"DICM" * 64  # 256 bytes: the bench measures entries, not bytes


def natural(key: int) -> int:
    """Versions of key number ``key`` (a delete marker counted): three for one key in five."""
    return 3 if key % 5 == 0 else 1


def first(key: int) -> int:
    """Listing index of the first entry of key number ``key`` (blocks of five keys, 7 entries)."""
    rest = key % 5
    return key // 5 * 7 + (0 if rest == 0 else 2 + rest)


class Synthetic:
    """Just enough of an S3 client for the copy: a listing computed on the fly (no per-entry
    state, so the client's own memory does not grow with the entries), small bodies."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.base = datetime(2025, 1, 1, tzinfo=UTC)
        self.puts = 0

    def count(self, key: int) -> int:
        return min(natural(key), self.entries - first(key))

    def _entry(self, index: int) -> tuple[int, int]:
        """(key number, version number, newest first within the key) of listing entry ``index``."""
        block, offset = divmod(index, 7)
        key = block * 5 + (0 if offset < 3 else offset - 2)
        return key, self.count(key) - 1 - (index - first(key))

    def list_object_versions(self, **kwargs: Any) -> dict[str, Any]:
        start = int(kwargs.get("VersionIdMarker") or 0)
        end = min(start + PAGE, self.entries)
        versions, markers = [], []
        for index in range(start, end):
            key, number = self._entry(index)
            item = {"Key": f"studies/{key:08d}/slice.dcm", "VersionId": f"v{key}.{number}",
                    "LastModified": self.base + timedelta(seconds=number),
                    "IsLatest": number == self.count(key) - 1}
            if key % 50 == 0 and self.count(key) > 1 and item["IsLatest"]:
                markers.append(item)
            else:
                versions.append({**item, "Size": len(BODY), "ETag": '"e"'})
        page: dict[str, Any] = {"Versions": versions, "DeleteMarkers": markers,
                                "IsTruncated": end < self.entries}
        if end < self.entries:
            page.update(NextKeyMarker="k", NextVersionIdMarker=str(end))
        return page

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": io.BytesIO(BODY), "Metadata": {"patient": "P000001"},
                "ContentType": "application/dicom"}

    def get_object_tagging(self, **_: Any) -> dict[str, Any]:
        return {"TagSet": []}

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["Body"].read()
        self.puts += 1
        return {"VersionId": f"t{self.puts}"}

    def delete_object(self, **_: Any) -> dict[str, Any]:
        self.puts += 1
        return {"VersionId": f"t{self.puts}"}


def rss_mb() -> float:
    """Resident set of this process now, in MB (10^6 bytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def phase(entries: int, journal: Path, concurrency: int) -> dict[str, float]:
    """Run the copy once against the synthetic listing; this process's figures."""
    import boto3  # noqa: F401  imported as in a real run, so its memory is counted

    from mlps.exit.copy import BucketSettings, Copier, RateLimit, copy_bucket
    from mlps.exit.journal import Journal

    before = rss_mb()
    book = Journal(journal)
    book.bind("synthetic://source", "synthetic://target")
    client = Synthetic(entries)
    copier = Copier(client, client, "bench", book, BucketSettings(versioning=True),
                    RateLimit(None), lambda _size: None)
    start = time.perf_counter()
    copy_bucket(copier, concurrency)
    seconds = time.perf_counter() - start
    counts = book.counts()
    book.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    return {"after_imports_mb": before, "peak_mb": peak, "seconds": seconds,
            "entries_per_s": entries / seconds, "copied": copier.copied,
            "skipped": copier.skipped, "done": counts.get("done", 0),
            "journal_mb": journal.stat().st_size / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the journal goes (default: a temporary directory)")
    parser.add_argument("--phase", choices=("copy", "resume"), help=argparse.SUPPRESS)
    parser.add_argument("--journal", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.entries, args.journal, args.concurrency)))
        return 0
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        journal = Path(tmp) / "journal.sqlite"
        print(f"{args.entries} entries, concurrency {args.concurrency}, journal {journal}")
        print("| phase | RSS after imports MB | peak RSS MB | entries/s | copied | skipped | journal MB |")
        print("|---|---|---|---|---|---|---|")
        for name in ("copy", "resume"):
            done = subprocess.run([sys.executable, "-m", "bench.exit_memory", "--phase", name,
                                   "--entries", str(args.entries), "--journal", str(journal),
                                   "--concurrency", str(args.concurrency)],
                                  cwd=REPO, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout)
            print(f"| {name} | {r['after_imports_mb']:.1f} | {r['peak_mb']:.1f} | "
                  f"{r['entries_per_s']:,.0f} | {r['copied']:,} | {r['skipped']:,} | "
                  f"{r['journal_mb']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
