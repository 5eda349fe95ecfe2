"""`mlps exit run` against `rclone sync` between two S3 stores (`python -m bench.exit_copy`).

Starts SeaweedFS S3 servers on loopback (tests/exit/seaweed.py, no lab needed): one source
holding two object-locked, versioned buckets — DICOM CT slices (pydicom, 256×256 and 512×512,
about 130 and 520 KB) and large objects (``--large-mb`` each) — and, for every timed copy, a
fresh empty target, so each tool writes into the same kind of empty store. Each round copies
each bucket once with each tool, the order alternating between rounds; the time is the wall
time of the whole command (start-up, listing and the copy). mlps carries every version's
content type, user metadata, tags, retention and legal hold and writes its journal (SQLite,
on disk) as in a drill; rclone copies the current objects with their content type and
metadata (no versions, no locks). Both run 4 transfers at once (`--concurrency 4`,
`--transfers 4`). rclone reads its endpoints and keys from a config file in a temporary
directory (RCLONE_CONFIG), mlps from a shared credentials file (AWS_SHARED_CREDENTIALS_FILE):
no key is on a command line. After each copy the target's object count is checked.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.exit.seaweed import Server, seaweed
from tests.roles.object_storage_lab import dicom_bytes

REPO = Path(__file__).resolve().parent.parent
RCLONE = REPO / ".venv" / "bin" / "rclone"
SLICES, LARGE = "bench-slices", "bench-large"
MB = 1_000_000


def client(server: Server) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1")


def populate(src: Server, slices: int, large: int, large_mb: int) -> dict[str, tuple[int, int]]:
    """Both source buckets; bucket → (objects, bytes)."""
    s3 = client(src)
    rng = random.Random(3)
    until = datetime.now(UTC) + timedelta(days=1)
    sizes: dict[str, tuple[int, int]] = {}
    for bucket in (SLICES, LARGE):
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    total = 0
    for i in range(slices):
        side = 512 if i % 2 else 256
        body = dicom_bytes(i, side, side)
        total += len(body)
        s3.put_object(Bucket=SLICES, Key=f"ct/{i // 100:03d}/{i:05d}.dcm", Body=body,
                      ContentType="application/dicom", Metadata={"patient": f"P{i // 100:06d}"},
                      ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    sizes[SLICES] = (slices, total)
    for i in range(large):
        s3.put_object(Bucket=LARGE, Key=f"archive/{i:03d}.bin", Body=rng.randbytes(large_mb * MB),
                      ContentType="application/octet-stream", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=until)
    sizes[LARGE] = (large, large * large_mb * MB)
    return sizes


def rclone_config(path: Path, src: Server, dst: Server) -> None:
    """An rclone config with both endpoints and their keys, readable by this user only."""
    text = "".join(
        f"[{name}]\ntype = s3\nprovider = SeaweedFS\naccess_key_id = {s.access_key}\n"
        f"secret_access_key = {s.secret_key}\nendpoint = {s.endpoint}\nregion = us-east-1\n\n"
        for name, s in (("src", src), ("dst", dst)))
    path.write_text(text)
    path.chmod(0o600)


def credentials(path: Path, src: Server, dst: Server) -> dict[str, str]:
    """A shared credentials file with both keys; the environment that makes mlps use it."""
    path.write_text(f"[src]\naws_access_key_id = {src.access_key}\naws_secret_access_key = "
                    f"{src.secret_key}\n[dst]\naws_access_key_id = {dst.access_key}\n"
                    f"aws_secret_access_key = {dst.secret_key}\n")
    path.chmod(0o600)
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(path.parent),
            "AWS_SHARED_CREDENTIALS_FILE": str(path), "AWS_CONFIG_FILE": os.devnull,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def copy_once(tool: str, bucket: str, src: Server, work: Path, name: str) -> float:
    """Copy ``bucket`` into a fresh target store with ``tool``; the wall time in seconds."""
    with seaweed(work, name) as dst:
        env = credentials(work / name / "credentials", src, dst)
        if tool == "mlps":
            args = [sys.executable, "-m", "mlps", "exit", "run", "--source-endpoint", src.endpoint,
                    "--target-endpoint", dst.endpoint, "--source-profile", "src",
                    "--target-profile", "dst", "--journal", str(work / name / "journal.sqlite"),
                    "--bucket", bucket, "--concurrency", "4"]
        else:
            config = work / name / "rclone.conf"
            rclone_config(config, src, dst)
            env = {"PATH": env["PATH"], "HOME": env["HOME"], "RCLONE_CONFIG": str(config)}
            args = [str(RCLONE), "sync", f"src:{bucket}", f"dst:{bucket}", "--transfers", "4",
                    "--checkers", "8"]
        seconds = timed(args, env)
        s3 = client(dst)
        found = sum(len(page.get("Contents", []))
                    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
        expected = sum(len(page.get("Contents", [])) for page in client(src).get_paginator(
            "list_objects_v2").paginate(Bucket=bucket))
        if found != expected:
            raise RuntimeError(f"{tool} copied {found} of {expected} objects of {bucket}")
        return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=400)
    parser.add_argument("--large", type=int, default=5)
    parser.add_argument("--large-mb", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="mlps-bench-exit-") as tmp, \
            seaweed(Path(tmp), "source") as src:
        work = Path(tmp)
        sizes = populate(src, args.slices, args.large, args.large_mb)
        results: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            tools = ("mlps", "rclone") if r % 2 == 0 else ("rclone", "mlps")
            for bucket in (SLICES, LARGE):
                for tool in tools:
                    seconds = copy_once(tool, bucket, src, work, f"{tool}-{bucket}-{r}")
                    results.setdefault((bucket, tool), []).append(seconds)
                    objects, size = sizes[bucket]
                    print(f"round {r + 1} {bucket} {tool}: {seconds:.2f} s, "
                          f"{size / MB / seconds:.1f} MB/s, {objects / seconds:.1f} objects/s",
                          flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        print("| data | objects | MB | tool | MB/s (best of rounds) | objects/s | mlps/rclone |")
        print("|---|---|---|---|---|---|---|")
        for bucket in (SLICES, LARGE):
            objects, size = sizes[bucket]
            best = {tool: min(results[(bucket, tool)]) for tool in ("mlps", "rclone")}
            for tool in ("mlps", "rclone"):
                ratio = f"{best['rclone'] / best['mlps']:.2f}" if tool == "mlps" else ""
                print(f"| {bucket} | {objects} | {size / MB:.0f} | {tool} | "
                      f"{size / MB / best[tool]:.1f} | {objects / best[tool]:.1f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
