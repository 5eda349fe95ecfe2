"""mlps exit plan --to cloud: the way in, and the placement rules it must not break (CLD-DATA-01)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.exit.copy import BucketSettings, prepare_target
from mlps.exit.plan import cloud_spec, line_mbps, moving_buckets, transfer_times
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = ROOT / "Pulumi.hybrid-prod.yaml"
UPLOADS = {"name": "staff-uploads", "data_class": "personal", "placement": "onprem",
           "versioning": True, "object_lock": {"mode": "GOVERNANCE", "retention_days": 365},
           "encryption": "sse-s3", "replicas": 2}
INTRANET = {"name": "intranet", "kind": "portal", "data_class": "personal", "placement": "onprem",
            "zone": "apps", "image": "registry.hospital.local/intranet/web:1.0.0", "port": 8443,
            "bucket": "staff-uploads"}
APPS = {"name": "apps", "kind": "application", "placement": "onprem", "cidr": "10.60.0.0/24",
        "description": "Staff intranet"}


def with_uploads(**changes: Any) -> dict[str, Any]:
    """The example hybrid spec with a personal on-prem bucket its intranet workload writes."""
    data = copy.deepcopy(load_spec(HYBRID).data)
    data["object_storage"]["buckets"].append(dict(UPLOADS))
    data["workloads"].append({**INTRANET, **changes})
    data["zones"].append(dict(APPS))
    return data


def test_personal_bucket_moves_with_its_workload_and_zone_and_validates() -> None:
    data = with_uploads()
    target, moved, refused = cloud_spec(data, ["staff-uploads"])
    assert refused == []
    assert target["name"] == "hybrid-prod-cloud" and target["layout"] == "hybrid"
    bucket = next(b for b in target["object_storage"]["buckets"] if b["name"] == "staff-uploads")
    assert bucket["placement"] == "cloud"
    assert (bucket["versioning"], bucket["object_lock"], bucket["replicas"]) == (
        UPLOADS["versioning"], UPLOADS["object_lock"], UPLOADS["replicas"])
    assert bucket["encryption"] == "sse-kms"  # the hospital's cloud KMS key (CLD-KMS-01)
    assert moved == ["bucket staff-uploads (sse-s3 → sse-kms)", "workload intranet", "zone apps"]
    workload = next(w for w in target["workloads"] if w["name"] == "intranet")
    assert workload["placement"] == "cloud"
    assert next(z for z in target["zones"] if z["name"] == "apps")["placement"] == "cloud"
    stays = {b["name"]: b["placement"] for b in target["object_storage"]["buckets"]}
    assert stays["pacs-images"] == stays["his-backup"] == "onprem"
    assert next(w for w in data["workloads"] if w["name"] == "intranet")["placement"] == "onprem"
    result = validate(spec_from_config(target, "target"), level=3)
    assert not result.findings, [f.control for f in result.findings]


def test_core_buckets_and_their_workloads_are_refused_by_name() -> None:
    _, moved, refused = cloud_spec(with_uploads())  # default: every on-prem bucket
    assert moved == []
    assert any(line.startswith("bucket pacs-images holds core medical data (data_class core): "
                               "CLD-DATA-01") for line in refused), refused
    assert any(line.startswith("bucket his-backup holds core") for line in refused), refused
    assert any(line.startswith("workload pacs writes bucket pacs-images and holds core medical data")
               and "CLD-DATA-01" in line for line in refused), refused
    assert not any("staff-uploads" in line for line in refused)


@pytest.mark.parametrize(("bucket", "workload", "named"), [
    # a label cannot lower the class: the name says images, the writer is a record system
    ({"name": "ward-images"}, {"bucket": "ward-images"}, "bucket ward-images holds core medical "
     "data (name ward-images)"),
    ({}, {"kind": "emr"}, "bucket staff-uploads holds core medical data (written by record "
     "workload intranet)"),
    ({}, {"kind": "emr"}, "workload intranet writes bucket staff-uploads and holds core medical "
     "data (kind emr)"),
])
def test_core_data_whatever_its_label_is_refused(bucket: dict[str, Any], workload: dict[str, Any],
                                                 named: str) -> None:
    data = with_uploads(**workload)
    data["object_storage"]["buckets"][-1].update(bucket)
    name = data["object_storage"]["buckets"][-1]["name"]
    target, _, refused = cloud_spec(data, [name])
    assert any(line.startswith(named) and "CLD-DATA-01" in line for line in refused), refused
    assert next(b for b in target["object_storage"]["buckets"] if b["name"] == name)[
        "placement"] == "onprem"


def test_region_outside_mainland_and_unknown_bucket_are_refused() -> None:
    data = with_uploads()
    data["cloud"]["region"] = "cn-hongkong"
    _, _, refused = cloud_spec(data, ["staff-uploads", "no-such"])
    assert refused[0].startswith("cloud.region cn-hongkong is not a mainland China region: CLD-LOC-01")
    assert "bucket no-such: no on-prem bucket of that name" in refused[1]
    _, _, cloud_side = cloud_spec(with_uploads(), ["registration-attachments"])
    assert "no on-prem bucket" in cloud_side[0]  # already in the cloud


def test_workload_goes_to_a_cloud_zone_of_its_kind_or_is_refused() -> None:
    _, moved, refused = cloud_spec(with_uploads(zone="core", kind="portal"), ["staff-uploads"])
    assert any("zone core (kind core), which stays, and no cloud zone of that kind" in line
               for line in refused), refused  # core zone keeps its hosts
    _, _, office = cloud_spec(with_uploads(zone="office"), ["staff-uploads"])
    assert any("zone office (kind office), which stays" in line for line in office), office
    data = with_uploads(zone="apps")
    data["zones"].append({**APPS, "name": "cloud-apps", "placement": "cloud", "cidr": "172.16.20.0/24"})
    target, moved, refused = cloud_spec(data, ["staff-uploads"])
    assert refused == [] and "workload intranet (zone apps → cloud-apps)" in moved
    assert next(w for w in target["workloads"] if w["name"] == "intranet")["zone"] == "cloud-apps"
    assert next(z for z in target["zones"] if z["name"] == "apps")["placement"] == "onprem"


def test_copy_time_uses_upload_bandwidth() -> None:
    data = {"links": [{"name": "b", "role": "backup", "bandwidth_mbps": {"up": 50, "down": 100}},
                      {"name": "a", "role": "primary", "bandwidth_mbps": {"up": 20, "down": 200}}]}
    assert line_mbps(data, "up") == [("a", 20.0), ("b", 50.0)]
    times = transfer_times(10**9, data, efficiency=1.0, direction="up")
    assert times[0].seconds == 10**9 * 8 / 20e6 and times[1].mbps == 70
    moving = moving_buckets(with_uploads(), "cloud", ["staff-uploads"])
    assert [b["name"] for b in moving] == ["staff-uploads"]
    assert [b["name"] for b in moving_buckets(with_uploads(), "onprem")] == ["registration-attachments"]


class _Bucket:
    """An S3 client with one existing bucket that has (or has not) its own default encryption."""

    def __init__(self, encryption: str | None) -> None:
        self.encryption = encryption
        self.puts: list[dict[str, Any]] = []

    def head_bucket(self, **_: Any) -> dict[str, Any]:
        return {}

    def put_bucket_versioning(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_bucket_encryption(self, **_: Any) -> dict[str, Any]:
        if self.encryption is None:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ServerSideEncryptionConfigurationNotFoundError"}},
                              "GetBucketEncryption")
        return {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": self.encryption}}]}}

    def put_bucket_encryption(self, **kwargs: Any) -> dict[str, Any]:
        self.puts.append(kwargs)
        return {}


def test_existing_cloud_bucket_keeps_its_kms_encryption() -> None:
    settings = BucketSettings(versioning=True, encryption={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    kms = _Bucket("aws:kms")
    prepare_target(kms, "staff-uploads", settings, "https://oss")
    assert kms.puts == []  # the stack's KMS key is not replaced by AES256
    bare = _Bucket(None)
    prepare_target(bare, "staff-uploads", settings, "https://oss")
    assert bare.puts and bare.puts[0]["ServerSideEncryptionConfiguration"] == settings.encryption


def _plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlps", "exit", "plan", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_plan_to_cloud_refuses_core_data_in_one_line_each(tmp_path: Path) -> None:
    refused = _plan("--spec", str(HYBRID), "--to", "cloud", "--out", str(tmp_path / "p"))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("mlps: error: ") and "CLD-DATA-01" in line
                                   for line in lines), lines
    assert "pacs-images" in lines[0] and "his-backup" in lines[1] and "workload pacs" in lines[2]
    assert not (tmp_path / "p").exists()
    for args, says in ((["--to", "mars"], "--to"), (["--bucket", "his-backup"], "--bucket")):
        bad = _plan("--spec", str(HYBRID), *args, "--out", str(tmp_path / "q"))
        assert bad.returncode == 2 and says in bad.stderr and "Traceback" not in bad.stderr
    onprem = _plan("--spec", str(ROOT / "Pulumi.onprem-lab.yaml"), "--to", "cloud",
                   "--out", str(tmp_path / "r"))
    assert onprem.returncode == 2 and "layout onprem" in onprem.stderr


def test_plan_to_cloud_writes_the_cloud_spec(tmp_path: Path) -> None:
    raw = yaml.safe_load(HYBRID.read_text(encoding="utf-8"))
    raw["config"]["mlps:environment"] = with_uploads()
    spec = tmp_path / "Pulumi.hybrid-prod.yaml"
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    done = _plan("--spec", str(spec), "--to", "cloud", "--bucket", "staff-uploads",
                 "--out", str(tmp_path / "plan"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "moved to the cloud: bucket staff-uploads (sse-s3 → sse-kms), workload intranet, " \
        "zone apps" in done.stdout
    written = load_spec(tmp_path / "plan" / "Pulumi.hybrid-prod-cloud.yaml")
    assert {b["name"]: b["placement"] for b in written.data["object_storage"]["buckets"]} == {
        "pacs-images": "onprem", "his-backup": "onprem", "registration-attachments": "cloud",
        "staff-uploads": "cloud"}
    assert "0 finding(s) at level 3" in done.stdout
