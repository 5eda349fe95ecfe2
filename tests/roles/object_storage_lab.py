"""Helpers for the object storage lab tests and benchmark: reach the S3 endpoint of lab hosts
from this machine, probe ports from inside the lab namespace, make DICOM files."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from mlps.ansible_run import PROJECT_ROOT
from mlps.lab import Lab

LAB_NAME = "mlps-t-s3"
TOPOLOGY = PROJECT_ROOT / "tests" / "roles" / "topologies" / "object-storage.yml"
PLAYBOOK = PROJECT_ROOT / "tests" / "roles" / "playbooks" / "object_storage.yml"
VERIFY = PROJECT_ROOT / "tests" / "roles" / "playbooks" / "object_storage_verify.yml"
S3_PORT = 8333
INTERNAL_PORTS = (9333, 19333, 8080, 18080, 8888, 18888, 18333)
DATA_DIR = "/var/lib/seaweedfs"


def lab_netns(lab: Lab) -> str:
    """Path of the lab namespace (where this machine's side of the lab lives)."""
    return str(lab.names.netns_path(lab.names.lab_netns))


def role_vars(secrets: Path, evidence: Path, lab: Lab) -> dict[str, Any]:
    """Role variables of the lab: spec-like buckets and workloads, small volumes."""
    return {
        "object_storage_environment": "lab",
        "object_storage_secrets_dir": str(secrets),
        "object_storage_evidence_dir": str(evidence),
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Forward:
    """127.0.0.1:<port> on this machine relayed to ``address:port`` from the lab namespace."""

    def __init__(self, lab: Lab, address: str, port: int) -> None:
        self.port = free_port()
        target = f"nsenter --net={lab_netns(lab)} socat STDIO TCP:{address}:{port}"
        self.proc = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
             f"SYSTEM:{target}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"relay to {address}:{port} did not start")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def s3_client(endpoint: str, secrets: Path, identity: str) -> Any:
    """boto3 client of one generated identity, checking TLS against the environment's CA."""
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
                      connect_timeout=5, read_timeout=60),
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
