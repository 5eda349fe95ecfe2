"""Throwaway SeaweedFS S3 servers on loopback for the exit tests (temp dirs, killed on exit)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WEED = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "weed"
_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
          "filer.port.grpc", "s3.port", "s3.port.grpc")


@dataclass
class Server:
    """One running SeaweedFS with its S3 endpoint and administrative keys."""

    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log: Path

    def env(self) -> dict[str, str]:
        """AWS variables that make boto3's default chain use this server's keys."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}


def _free_ports(count: int) -> list[int]:
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _wait_s3(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.3)
    raise RuntimeError(f"weed S3 not listening on {port} after {timeout}s: {log.read_text()[-2000:]}")


def _ready(server: Server, timeout: float = 60.0) -> None:
    """Wait until a bucket can be created and written (volumes assigned)."""
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                          aws_secret_access_key=server.secret_key, region_name="us-east-1",
                          config=Config(connect_timeout=2, read_timeout=10,
                                        retries={"max_attempts": 1}))
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client.create_bucket(Bucket="mlps-ready-probe")
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception as exc:  # not up yet
            last = exc
            time.sleep(0.5)
            continue
        try:
            client.put_object(Bucket="mlps-ready-probe", Key="k", Body=b"x")
            client.delete_object(Bucket="mlps-ready-probe", Key="k")
            client.delete_bucket(Bucket="mlps-ready-probe")
            return
        except Exception as exc:  # volumes not assigned yet
            last = exc
            time.sleep(0.5)
    raise RuntimeError(f"weed S3 not usable after {timeout}s: {last}")


@contextlib.contextmanager
def seaweed(base: Path, name: str) -> Iterator[Server]:
    """Start ``weed server`` with S3 on loopback under ``base/name``; kill it afterwards."""
    root = base / name
    (root / "data").mkdir(parents=True)
    access, secret = "mlps" + secrets.token_hex(8), secrets.token_hex(20)
    config = {"identities": [{"name": "admin", "credentials": [
        {"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "List", "Write", "Tagging"]}]}
    (root / "s3.json").write_text(json.dumps(config))
    (root / "security.toml").write_text(f'[s3.sse]\nkek = "{secrets.token_hex(32)}"\n')
    ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
    args = [str(WEED), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-filer", "-s3", f"-s3.config={root / 's3.json'}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", "-master.volumeSizeLimitMB=64", "-volume.max=120",
            "-metricsPort=0", *(f"-{flag}={port}" for flag, port in ports.items())]
    log = root / "weed.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(args, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env={"PATH": os.environ.get("PATH", ""), "HOME": str(root)})
    server = Server(f"http://127.0.0.1:{ports['s3.port']}", access, secret, process, log)
    try:
        _wait_s3(ports["s3.port"], process, log)
        _ready(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
