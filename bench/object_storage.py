"""Object storage throughput on lab hosts (`python -m bench.object_storage`).

Three storage hosts built by roles/object_storage (SeaweedFS, 2 copies, TLS, SSE-S3 by bucket
default, COMPLIANCE object lock). From the lab namespace (the machine's side of the lab), one
boto3 client measures in one run:
1. PUT and GET of 1 MB objects and of 20 MB objects, then a 500 MB multipart upload and its
   download, into a locked, encrypted bucket;
2. on a storage host, a raw sequential write (dd, fdatasync at the end) and read of the same
   number of bytes in the same block size, on the disk the volume servers use;
and prints each S3 figure beside the raw one with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mlps.ansible_run import run_playbook
from mlps.lab import Lab
from tests.roles import object_storage_lab as osl

REPO = Path(__file__).resolve().parent.parent

BUCKET = "bench-pacs"
MB = 1024 * 1024


def cases(count_1mb: int, count_20mb: int, multipart_mb: int) -> list[tuple[str, int, int]]:
    """(name, object size, count) of each case; the last one is the multipart upload."""
    return [("1 MB objects", MB, count_1mb), ("20 MB objects", 20 * MB, count_20mb),
            (f"{multipart_mb} MB multipart", multipart_mb * MB, 1)]


def client(
    endpoint: str, secrets: Path, plan: list[tuple[str, int, int]],
) -> dict[str, dict[str, float]]:
    """Measure PUT/GET MB/s against ``endpoint`` (runs inside the lab namespace)."""
    from boto3.s3.transfer import TransferConfig

    s3 = osl.s3_client(endpoint, secrets, "pacs")
    out: dict[str, dict[str, float]] = {}
    for name, size, count in plan[:-1]:
        data = os.urandom(size)
        start = time.monotonic()
        for i in range(count):
            s3.put_object(Bucket=BUCKET, Key=f"{size}/{i}", Body=data)
        put = time.monotonic() - start
        start = time.monotonic()
        for i in range(count):
            assert len(s3.get_object(Bucket=BUCKET, Key=f"{size}/{i}")["Body"].read()) == size
        get = time.monotonic() - start
        out[name] = {"mb": size * count / MB, "put": size * count / MB / put,
                     "get": size * count / MB / get}
    name, size, _ = plan[-1]
    config = TransferConfig(multipart_threshold=16 * MB, multipart_chunksize=16 * MB,
                            max_concurrency=4)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.bin"
        with src.open("wb") as fh:
            for _ in range(size // MB):
                fh.write(os.urandom(MB))
        start = time.monotonic()
        s3.upload_file(str(src), BUCKET, "multipart/500", Config=config)
        put = time.monotonic() - start
        dst = Path(tmp) / "dst.bin"
        start = time.monotonic()
        s3.download_file(BUCKET, "multipart/500", str(dst), Config=config)
        get = time.monotonic() - start
        assert dst.stat().st_size == size
    out[name] = {"mb": size / MB, "put": size / MB / put, "get": size / MB / get}
    return out


def raw_disk(lab: Lab, host: str, block: int, count: int) -> dict[str, float]:
    """Sequential write then read of ``count`` blocks of ``block`` bytes on ``host``'s data disk."""
    path = f"{osl.DATA_DIR}/bench-raw.bin"
    src = "/dev/shm/bench-src.bin"
    lab.run(host, f"head -c {block} /dev/urandom > {src}")
    blocks = " ".join([src] * count)
    start = time.monotonic()
    lab.run(host, f"cat {blocks} | dd of={path} bs={min(block, 4 * MB)} iflag=fullblock "
                  "conv=fdatasync status=none")
    write = time.monotonic() - start
    start = time.monotonic()
    lab.run(host, f"dd if={path} of=/dev/null bs={min(block, 4 * MB)} status=none")
    read = time.monotonic() - start
    lab.run(host, f"rm -f {path} {src}")
    total = block * count / MB
    return {"write": total / write, "read": total / read}


def deploy(lab: Lab, base: Path) -> dict[str, Any]:
    variables = osl.role_vars(base / "secrets", base / "evidence", lab)
    variables["object_storage_volume_size_limit_mb"] = 1024
    variables["object_storage_buckets"].append(
        {"name": BUCKET, "versioning": True, "encryption": "sse-s3",
         "object_lock": {"mode": "COMPLIANCE", "retention_days": 1}})
    variables["object_storage_identities"][0]["grants"].append(
        {"bucket": BUCKET, "access": "readwrite"})
    result = run_playbook(osl.PLAYBOOK, lab.inventory_path, extra_vars=variables)
    if not result.ok:
        raise SystemExit(result.output[-4000:])
    return variables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects-1mb", type=int, default=100, help="1 MB objects (default 100)")
    parser.add_argument("--objects-20mb", type=int, default=10, help="20 MB objects (default 10)")
    parser.add_argument("--multipart-mb", type=int, default=500,
                        help="size of the multipart upload in MB (default 500, 16 MB parts)")
    parser.add_argument("--client", nargs=2, metavar=("ENDPOINT", "SECRETS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    plan = cases(args.objects_1mb, args.objects_20mb, args.multipart_mb)
    if args.client:
        print(json.dumps(client(args.client[0], Path(args.client[1]), plan)))
        return
    lab = Lab(osl.LAB_NAME + "-b")
    lab.up(topology=osl.TOPOLOGY)
    try:
        with tempfile.TemporaryDirectory(prefix="mlps-bench-s3-") as tmp:
            deploy(lab, Path(tmp))
            endpoint = f"https://{lab.hosts['s3-1'].address}:{osl.S3_PORT}"
            load_before = os.getloadavg()[0]
            proc = subprocess.run(
                ["nsenter", f"--net={osl.lab_netns(lab)}", sys.executable, "-m",
                 "bench.object_storage", "--objects-1mb", str(args.objects_1mb),
                 "--objects-20mb", str(args.objects_20mb), "--multipart-mb",
                 str(args.multipart_mb), "--client", endpoint, str(Path(tmp) / "secrets")],
                capture_output=True, text=True, check=True, timeout=1800, cwd=REPO,
            )
            s3 = json.loads(proc.stdout.strip().splitlines()[-1])
            raw = {name: raw_disk(lab, "s3-2", size, count) for name, size, count in plan}
            load_after = os.getloadavg()[0]
    finally:
        lab.down()
    print(f"{'case':<18}{'MB':>6}{'PUT MB/s':>10}{'raw write':>11}{'PUT/raw':>9}"
          f"{'GET MB/s':>10}{'raw read':>10}{'GET/raw':>9}")
    for name, figures in s3.items():
        r = raw[name]
        print(f"{name:<18}{figures['mb']:>6.0f}{figures['put']:>10.1f}{r['write']:>11.1f}"
              f"{figures['put'] / r['write']:>8.0%}{figures['get']:>10.1f}{r['read']:>10.1f}"
              f"{figures['get'] / r['read']:>8.0%}")
    print(f"machine: {os.cpu_count()} cores, load average (1 min) {load_before:.1f} before "
          f"the S3 run, {load_after:.1f} after the raw run")


if __name__ == "__main__":
    main()
