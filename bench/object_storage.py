"""Object storage throughput on lab hosts (`python -m bench.object_storage`).

Three storage hosts built by roles/object_storage (SeaweedFS, 2 copies, TLS, SSE-S3 by bucket
default, COMPLIANCE object lock). From the lab namespace (the machine's side of the lab), a
boto3 client measures in one run:
1. PUT and GET of 1 MB objects and of 20 MB objects (``--threads`` requests in flight), then a
   500 MB multipart upload and its download, into a locked, encrypted bucket, with the CPU time
   each part of the store (client, S3 gateway and filer, volume servers, masters) spent per MB;
2. on a storage host, a raw sequential write (dd, fdatasync at the end) and read of the same
   number of bytes in the same block size, on the disk the volume servers use;
and prints each S3 figure beside the raw one with their ratio. Reads on both sides start from
a dropped page cache when the machine allows it (root outside a container).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
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


def drop_page_cache() -> bool:
    """Write dirty pages out and drop the page cache; False where the machine refuses it."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def store_processes(lab_name: str) -> dict[int, str]:
    """pid -> SeaweedFS unit (master, volume, filer) of the store's processes in ``lab_name``."""
    out: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            cgroup = (entry / "cgroup").read_text()
        except OSError:
            continue
        if argv[0].endswith(b"/weed") and len(argv) > 1 and f"/{lab_name}/" in cgroup:
            out[int(entry.name)] = argv[1].decode()
    return out


def cpu_seconds(pids: dict[int, str]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the client and by each unit of the store."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"client": usage.ru_utime + usage.ru_stime}
    for pid, unit in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[unit] = out.get(unit, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def measured(work: Callable[[], None], mb: float, pids: dict[int, str]) -> dict[str, float]:
    """Run ``work`` (moving ``mb`` MB): MB/s and CPU milliseconds per MB of each part."""
    before = cpu_seconds(pids)
    start = time.monotonic()
    work()
    elapsed = time.monotonic() - start
    after = cpu_seconds(pids)
    out = {"mbps": mb / elapsed}
    out.update({f"cpu_{unit}": (after[unit] - before[unit]) * 1000 / mb for unit in after})
    return out


def each(pool: ThreadPoolExecutor, request: Callable[[int], None], count: int) -> None:
    """Send requests 0..count-1 through ``pool`` (as many in flight as it has threads)."""
    for _ in pool.map(request, range(count)):
        pass


def client(
    endpoint: str, secrets: Path, plan: list[tuple[str, int, int]], threads: int, lab_name: str,
    checksums: str,
) -> dict[str, Any]:
    """Measure PUT/GET against ``endpoint`` (runs inside the lab namespace)."""
    from boto3.s3.transfer import TransferConfig

    s3 = osl.s3_client(endpoint, secrets, "pacs", checksums)
    pids = store_processes(lab_name)
    out: dict[str, Any] = {"cold_reads": True}
    pool = ThreadPoolExecutor(threads)
    for name, size, count in plan[:-1]:
        data = os.urandom(size)

        def put(i: int, size: int = size, data: bytes = data) -> None:
            s3.put_object(Bucket=BUCKET, Key=f"{size}/{i}", Body=data)

        def get(i: int, size: int = size) -> None:
            assert len(s3.get_object(Bucket=BUCKET, Key=f"{size}/{i}")["Body"].read()) == size

        mb = size * count / MB
        out[name] = {"mb": mb, "put": measured(partial(each, pool, put, count), mb, pids)}
        out["cold_reads"] &= drop_page_cache()
        out[name]["get"] = measured(partial(each, pool, get, count), mb, pids)
    pool.shutdown()
    name, size, _ = plan[-1]
    config = TransferConfig(multipart_threshold=16 * MB, multipart_chunksize=16 * MB,
                            max_concurrency=4)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.bin"
        with src.open("wb") as fh:
            for _ in range(size // MB):
                fh.write(os.urandom(MB))
        mb = size / MB
        out[name] = {"mb": mb, "put": measured(
            lambda: s3.upload_file(str(src), BUCKET, "multipart/500", Config=config), mb, pids)}
        dst = Path(tmp) / "dst.bin"
        out["cold_reads"] &= drop_page_cache()
        out[name]["get"] = measured(
            lambda: s3.download_file(BUCKET, "multipart/500", str(dst), Config=config), mb, pids)
        assert dst.stat().st_size == size
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
    drop_page_cache()
    start = time.monotonic()
    lab.run(host, f"dd if={path} of=/dev/null bs={min(block, 4 * MB)} status=none")
    read = time.monotonic() - start
    lab.run(host, f"rm -f {path} {src}")
    total = block * count / MB
    return {"write": total / write, "read": total / read}


def deploy(lab: Lab, base: Path, chunk_mb: int | None) -> None:
    """Build the store on the lab with the bench bucket (and a chunk size, when given)."""
    variables = osl.role_vars(base / "secrets", base / "evidence", lab)
    variables["object_storage_volume_size_limit_mb"] = 1024
    if chunk_mb is not None:
        variables["object_storage_filer_chunk_mb"] = chunk_mb
    variables["object_storage_buckets"].append(
        {"name": BUCKET, "versioning": True, "encryption": "sse-s3",
         "object_lock": {"mode": "COMPLIANCE", "retention_days": 1}})
    variables["object_storage_identities"][0]["grants"].append(
        {"bucket": BUCKET, "access": "readwrite"})
    result = run_playbook(osl.PLAYBOOK, lab.inventory_path, extra_vars=variables)
    if not result.ok:
        raise SystemExit(result.output[-4000:])


def report(s3: dict[str, Any], raw: dict[str, dict[str, float]]) -> None:
    """Print the throughput table, then where the CPU went per MB."""
    print(f"{'case':<18}{'MB':>6}{'PUT MB/s':>10}{'raw write':>11}{'PUT/raw':>9}"
          f"{'GET MB/s':>10}{'raw read':>10}{'GET/raw':>9}")
    for name, r in raw.items():
        put, get = s3[name]["put"]["mbps"], s3[name]["get"]["mbps"]
        print(f"{name:<18}{s3[name]['mb']:>6.0f}{put:>10.1f}{r['write']:>11.1f}"
              f"{put / r['write']:>8.0%}{get:>10.1f}{r['read']:>10.1f}{get / r['read']:>8.0%}")
    units = ("client", "filer", "volume", "master")
    print(f"\nCPU ms per MB ({', '.join(units)}; filer includes the S3 gateway)")
    for name, r in raw.items():
        for op in ("put", "get"):
            cpu = [s3[name][op].get(f"cpu_{unit}", 0.0) for unit in units]
            total = sum(cpu)
            line = (f"{name:<18}{op.upper():<4}" + "".join(f"{c:>8.1f}" for c in cpu)
                    + f"  total {total:>5.1f}, {total * s3[name][op]['mbps'] / 1000:.2f} cores busy")
            if op == "put":
                line += f"; PUT at 50 % of raw write needs {total * r['write'] / 2000:.1f} cores"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects-1mb", type=int, default=100, help="1 MB objects (default 100)")
    parser.add_argument("--objects-20mb", type=int, default=10, help="20 MB objects (default 10)")
    parser.add_argument("--multipart-mb", type=int, default=500,
                        help="size of the multipart upload in MB (default 500, 16 MB parts)")
    parser.add_argument("--threads", type=int, default=4,
                        help="requests in flight for the 1 MB and 20 MB cases (default 4)")
    parser.add_argument("--chunk-mb", type=int, default=None,
                        help="object_storage_filer_chunk_mb (default: the role's)")
    parser.add_argument("--checksums", choices=("when_supported", "when_required"),
                        default="when_supported",
                        help="the client's request_checksum_calculation (default botocore's, "
                             "when_supported: a CRC32 trailer on every upload)")
    parser.add_argument("--client", nargs=3, metavar=("ENDPOINT", "SECRETS", "LAB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    plan = cases(args.objects_1mb, args.objects_20mb, args.multipart_mb)
    if args.client:
        endpoint, secrets, lab_name = args.client
        print(json.dumps(client(endpoint, Path(secrets), plan, args.threads, lab_name,
                                args.checksums)))
        return
    lab = Lab(osl.LAB_NAME + "-b")
    lab.up(topology=osl.TOPOLOGY)
    try:
        with tempfile.TemporaryDirectory(prefix="mlps-bench-s3-") as tmp:
            deploy(lab, Path(tmp), args.chunk_mb)
            endpoint = f"https://{lab.hosts['s3-1'].address}:{osl.S3_PORT}"
            load_before = os.getloadavg()[0]
            proc = subprocess.run(
                ["nsenter", f"--net={osl.lab_netns(lab)}", sys.executable, "-m",
                 "bench.object_storage", "--objects-1mb", str(args.objects_1mb),
                 "--objects-20mb", str(args.objects_20mb), "--multipart-mb",
                 str(args.multipart_mb), "--threads", str(args.threads),
                 "--checksums", args.checksums,
                 "--client", endpoint, str(Path(tmp) / "secrets"), lab.name],
                capture_output=True, text=True, check=True, timeout=1800, cwd=REPO,
            )
            s3 = json.loads(proc.stdout.strip().splitlines()[-1])
            raw = {name: raw_disk(lab, "s3-2", size, count) for name, size, count in plan}
            load_after = os.getloadavg()[0]
    finally:
        lab.down()
    report(s3, raw)
    reads = "from a dropped page cache" if s3["cold_reads"] else "from the page cache"
    print(f"\n{args.threads} requests in flight (multipart: 4 parts), client checksums "
          f"{args.checksums}; reads {reads}; "
          f"machine: {os.cpu_count()} cores, load average (1 min) {load_before:.1f} before "
          f"the S3 run, {load_after:.1f} after the raw run")


if __name__ == "__main__":
    main()
