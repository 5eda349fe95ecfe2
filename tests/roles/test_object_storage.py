"""object_storage (SeaweedFS) on three lab hosts, driven with boto3 over TLS.

The tests run in file order on one lab: build and idempotence, evidence, TLS and firewall,
versioning and object lock, identities, the filer API, encryption at rest, DICOM round trips,
then the loss and return of one volume host.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from mlps.ansible_run import PROJECT_ROOT
from mlps.lab import Lab
from tests.roles import object_storage_lab as osl

SCHEMA = json.loads((PROJECT_ROOT / "schemas" / "evidence.schema.json").read_text())
HOSTS = osl.HOSTS
Deployed = osl.Deployed


@pytest.fixture(scope="module")
def lab(lab_factory: Callable[..., Lab]) -> Lab:
    return lab_factory(osl.LAB_NAME, topology=osl.TOPOLOGY)


@pytest.fixture(scope="module")
def deployed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return osl.deploy(lab, tmp_path_factory.mktemp("object-storage"))


@pytest.fixture(scope="module")
def s3(deployed: Deployed) -> Iterator[osl.LabS3]:
    """boto3 inside the lab namespace, outside the storage zone, talking TLS to the endpoint."""
    endpoint = f"https://{deployed.lab.hosts['s3-1'].address}:{osl.S3_PORT}"
    clients = osl.LabS3(deployed.lab, endpoint, deployed.secrets)
    yield clients
    clients.close()


@pytest.fixture(scope="module")
def admin(s3: osl.LabS3) -> Any:
    return s3.client("admin")


@pytest.fixture(scope="module")
def pacs(s3: osl.LabS3) -> Any:
    return s3.client("pacs")


def error_code(call: Callable[[], Any]) -> str:
    """The S3 error code ``call`` fails with (fails the test when it succeeds)."""
    with pytest.raises(ClientError) as info:
        call()
    return str(info.value.response["Error"]["Code"])


@pytest.mark.lab
def test_second_run_changes_nothing(deployed: Deployed) -> None:
    assert deployed.first.changed > 0
    second = deployed.run()
    assert second.ok, second.output[-3000:]
    assert second.changed == 0, second.output[-3000:]


@pytest.mark.lab
def test_secrets_are_generated_private_and_never_printed(deployed: Deployed) -> None:
    assert deployed.secrets.stat().st_mode & 0o777 == 0o700
    values = [p.read_text().strip() for p in deployed.secrets.iterdir()
              if p.name.endswith(("_key", "_kek", "_signing", "_read", "secret_key"))
              or p.name.startswith(("jwt_", "sse_"))]
    assert len(values) >= 8
    assert all(len(v) >= 20 for v in values)
    for value in values:
        assert value not in deployed.first.output
    # The rendered security.toml holds the same generated KEK (per environment).
    kek = (deployed.secrets / "sse_kek").read_text().strip()
    toml = deployed.lab.run("s3-2", "cat /etc/seaweedfs/security.toml").stdout
    assert f'kek = "{kek}"' in toml
    grep = subprocess.run(["grep", "-rlF", kek, str(PROJECT_ROOT / "roles"),
                           str(PROJECT_ROOT / "tests")], capture_output=True, check=False)
    assert grep.stdout == b""


@pytest.mark.lab
def test_verify_writes_passing_evidence_per_control(deployed: Deployed) -> None:
    evidence = deployed.verify()
    for host, doc in evidence.items():
        jsonschema.validate(doc, SCHEMA)
        assert doc["host"] == host and doc["role"] == "object_storage"
        failed = [r for r in doc["results"] if r["status"] != "pass"]
        assert not failed, failed
    controls = {r["control"] for r in evidence["s3-1"]["results"]}
    assert {"CES-INT-02", "CES-CONF-01", "CES-CONF-02", "CES-BAK-04", "ABS-ACL-01",
            "CES-IPS-02", "CES-ACL-04"} <= controls
    locks = {r["check"]: r["observed"] for r in evidence["s3-1"]["results"]
             if r["control"] == "CES-INT-02" and "object lock" in r["check"]}
    assert locks["bucket pacs-images: versioning and object lock"] == {
        "versioning": True, "lock_mode": "COMPLIANCE", "retention_days": 10950}
    guarded = {r["check"].split(":")[0] for r in evidence["s3-1"]["results"]
               if r["control"] == "CES-ACL-04" and r["check"].startswith("bucket ")}
    assert guarded == {"bucket pacs-images", "bucket his-backup", "bucket lab-plain"}


@pytest.mark.lab
def test_verify_reports_a_readable_secret_file(deployed: Deployed) -> None:
    lab = deployed.lab
    lab.run("s3-2", "chmod 0644 /etc/seaweedfs/security.toml")
    evidence = deployed.verify()
    bad = [r for r in evidence["s3-2"]["results"]
           if r["control"] == "CES-ACL-05" and r["status"] == "fail"]
    assert bad and "security.toml" in bad[0]["check"]
    repair = deployed.run()
    assert repair.ok and repair.changed >= 1
    assert lab.run("s3-2", "stat -c %a /etc/seaweedfs/security.toml").stdout.strip() == "640"


@pytest.mark.lab
def test_s3_endpoint_is_tls_only(deployed: Deployed, s3: osl.LabS3) -> None:
    plain = s3.urlopen(s3.endpoint.replace("https", "http") + "/")
    # Plain HTTP gets no S3 answer: refused, or the TLS server's own 400.
    assert "error" in plain or plain["status"] == 400, plain
    assert b"<Error>" not in plain.get("body", b""), plain
    untrusted = s3.urlopen(s3.endpoint + "/", "system")  # a certificate not from a public CA
    assert untrusted.get("ssl") is True, untrusted
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted["reason"], untrusted
    trusted = s3.urlopen(s3.endpoint + "/", str(deployed.secrets / "ca.pem"))
    assert trusted.get("status") == 403, trusted  # TLS fine, anonymous refused
    assert b"<Code>AccessDenied</Code>" in trusted["body"], trusted


@pytest.mark.lab
def test_internal_ports_closed_outside_the_storage_zone(deployed: Deployed) -> None:
    lab = deployed.lab
    s3_1 = str(lab.hosts["s3-1"].address)
    for port in osl.INTERNAL_PORTS:
        assert not osl.reachable_from_lab(lab, s3_1, port), f"{port} open outside the zone"
        assert osl.reachable_from_host(lab, "s3-2", s3_1, port), f"{port} closed inside"
    assert osl.reachable_from_lab(lab, s3_1, osl.S3_PORT)


@pytest.mark.lab
def test_an_accept_ahead_of_the_storage_drops_lets_strangers_in_and_fails_verify(
        deployed: Deployed) -> None:
    """The attack first: a rule opening the master port ahead of the table's drops lets the lab
    (outside the storage zone) connect; verify must then fail ABS-ACL-01 on that host alone,
    naming the port and the rule, and pass again once the rule is gone."""
    lab = deployed.lab
    s3_1 = str(lab.hosts["s3-1"].address)
    out = lab.run("s3-1", "nft --echo --handle insert rule inet mlps_object_storage input "
                          "tcp dport 9333 accept").stdout
    handle = re.findall(r"# handle (\d+)", out)[-1]
    try:
        assert osl.reachable_from_lab(lab, s3_1, 9333)
        evidence = deployed.verify()
        failed = {(h, r["control"]) for h, doc in evidence.items() for r in doc["results"]
                  if r["status"] != "pass"}
        assert failed == {("s3-1", "ABS-ACL-01")}, failed
        found = next(r for r in evidence["s3-1"]["results"] if r["control"] == "ABS-ACL-01")
        assert found["observed"]["ports"]["9333"]["unrestricted_rules"], found
    finally:
        lab.run("s3-1", f"nft delete rule inet mlps_object_storage input handle {handle}")
    assert not osl.reachable_from_lab(lab, s3_1, 9333)
    again = deployed.verify(("s3-1",))
    assert [r for r in again["s3-1"]["results"] if r["status"] != "pass"] == []


@pytest.mark.lab
def test_versioning_keeps_versions_and_delete_markers(pacs: Any) -> None:
    key = f"notes/{secrets.token_hex(4)}.txt"
    v1 = pacs.put_object(Bucket="lab-plain", Key=key, Body=b"first")["VersionId"]
    v2 = pacs.put_object(Bucket="lab-plain", Key=key, Body=b"second")["VersionId"]
    assert v1 != v2
    assert pacs.get_object(Bucket="lab-plain", Key=key)["Body"].read() == b"second"
    marker = pacs.delete_object(Bucket="lab-plain", Key=key)
    assert marker["DeleteMarker"] is True
    assert error_code(lambda: pacs.get_object(Bucket="lab-plain", Key=key)) == "NoSuchKey"
    versions = pacs.list_object_versions(Bucket="lab-plain", Prefix=key)
    assert {v["VersionId"] for v in versions["Versions"]} == {v1, v2}
    assert [m["Key"] for m in versions["DeleteMarkers"]] == [key]
    old = pacs.get_object(Bucket="lab-plain", Key=key, VersionId=v1)
    assert old["Body"].read() == b"first"


@pytest.mark.lab
def test_compliance_lock_cannot_be_deleted_shortened_or_bypassed(pacs: Any, admin: Any) -> None:
    key = f"studies/{secrets.token_hex(4)}.dcm"
    version = pacs.put_object(Bucket="pacs-images", Key=key, Body=b"locked")["VersionId"]
    head = pacs.head_object(Bucket="pacs-images", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=10900)
    assert error_code(lambda: pacs.delete_object(
        Bucket="pacs-images", Key=key, VersionId=version)) == "AccessDenied"
    for client in (pacs, admin):
        bypass = functools.partial(client.delete_object, Bucket="pacs-images", Key=key,
                                   VersionId=version, BypassGovernanceRetention=True)
        assert error_code(bypass) == "AccessDenied"
    shorter = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert error_code(lambda: admin.put_object_retention(
        Bucket="pacs-images", Key=key, VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": shorter})) == "AccessDenied"
    assert error_code(lambda: admin.delete_bucket(Bucket="pacs-images")) in {
        "BucketNotEmpty", "AccessDenied"}
    body = pacs.get_object(Bucket="pacs-images", Key=key, VersionId=version)["Body"].read()
    assert body == b"locked"


@pytest.mark.lab
def test_identities_are_least_privilege(s3: osl.LabS3, pacs: Any, admin: Any) -> None:
    his = s3.client("his")
    his.put_object(Bucket="his-backup", Key="dump.sql", Body=b"backup")
    assert error_code(lambda: his.get_object(Bucket="his-backup", Key="dump.sql")) == (
        "AccessDenied")
    assert error_code(lambda: his.put_object(Bucket="pacs-images", Key="x", Body=b"x")) == (
        "AccessDenied")
    assert error_code(lambda: pacs.get_object(Bucket="his-backup", Key="dump.sql")) == (
        "AccessDenied")
    assert error_code(lambda: pacs.create_bucket(Bucket="pacs-extra")) == "AccessDenied"
    # Its own buckets: data yes, configuration no (a Write grant alone would allow both).
    for bucket in ("pacs-images", "lab-plain"):
        suspend = functools.partial(pacs.put_bucket_versioning, Bucket=bucket,
                                    VersioningConfiguration={"Status": "Suspended"})
        assert error_code(suspend) == "AccessDenied", bucket
    expire = {"Rules": [{"ID": "wipe", "Status": "Enabled", "Filter": {"Prefix": ""},
                         "Expiration": {"Days": 1}}]}
    assert error_code(lambda: pacs.put_bucket_lifecycle_configuration(
        Bucket="lab-plain", LifecycleConfiguration=expire)) == "AccessDenied"
    assert error_code(lambda: pacs.delete_bucket_policy(Bucket="lab-plain")) == "AccessDenied"
    assert admin.get_bucket_versioning(Bucket="lab-plain")["Status"] == "Enabled"


@pytest.mark.lab
def test_a_removed_bucket_policy_is_reported_and_restored(
    deployed: Deployed, pacs: Any, admin: Any,
) -> None:
    admin.delete_bucket_policy(Bucket="lab-plain")
    results = deployed.verify(("s3-1",))["s3-1"]["results"]
    guard = [r for r in results if r["control"] == "CES-ACL-04"
             and r["check"].startswith("bucket lab-plain:")]
    assert guard and guard[0]["status"] == "fail", guard
    repair = deployed.run()
    assert repair.ok and repair.changed >= 1, repair.output[-3000:]
    suspend = functools.partial(pacs.put_bucket_versioning, Bucket="lab-plain",
                                VersioningConfiguration={"Status": "Suspended"})
    assert error_code(suspend) == "AccessDenied"


def forged_token(path_claims: dict[str, Any]) -> str:
    """An HS256 JWT signed with a random key: well-formed but not the environment's."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(path_claims).encode())
    sig = hmac.new(os.urandom(32), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


@pytest.mark.lab
def test_filer_api_cannot_delete_a_locked_bucket_without_a_valid_token(
    deployed: Deployed, pacs: Any,
) -> None:
    lab = deployed.lab
    pacs.put_object(Bucket="pacs-images", Key="keep/me.dcm", Body=b"keep")
    filer = f"http://{lab.hosts['s3-1'].address}:8888/buckets/pacs-images/?recursive=true"
    token = forged_token({"exp": int(time.time()) + 60})
    for header in ("", f"Bearer {token}"):
        code = (
            "import urllib.request,urllib.error\n"
            f"r=urllib.request.Request({filer!r},method='DELETE')\n"
            f"if {header!r}: r.add_header('Authorization',{header!r})\n"
            "try: print(urllib.request.urlopen(r,timeout=10).status)\n"
            "except urllib.error.HTTPError as e: print(e.code)\n"
        )
        status = lab.run("s3-2", "python3 -", input=code).stdout.strip()
        assert status == "401", f"filer answered {status} with header {header[:10]!r}"
    assert pacs.get_object(Bucket="pacs-images", Key="keep/me.dcm")["Body"].read() == b"keep"


@pytest.mark.lab
def test_default_encryption_leaves_no_plaintext_in_volume_files(
    deployed: Deployed, pacs: Any,
) -> None:
    lab = deployed.lab
    secret_marker = f"MLPS-SECRET-{secrets.token_hex(16)}"
    plain_marker = f"MLPS-PLAIN-{secrets.token_hex(16)}"

    def body(marker: str) -> bytes:
        return b"".join(marker.encode() + os.urandom(4096) for _ in range(64))

    put = pacs.put_object(Bucket="pacs-images", Key="enc/marker.bin", Body=body(secret_marker))
    assert put["ServerSideEncryption"] == "AES256"
    pacs.put_object(Bucket="lab-plain", Key="plain/marker.bin", Body=body(plain_marker))
    got = pacs.get_object(Bucket="pacs-images", Key="enc/marker.bin")["Body"].read()
    assert got.startswith(secret_marker.encode())
    lab.run("s3-1", "sync")
    # The search works: the unencrypted object is found on disk on two hosts (two copies).
    assert sum(osl.grep_volume_files(lab, h, plain_marker) for h in HOSTS) >= 2
    assert not any(osl.grep_volume_files(lab, h, secret_marker) for h in HOSTS)


@pytest.mark.lab
def test_dicom_files_round_trip_byte_identical(pacs: Any) -> None:
    import pydicom

    files = {f"studies/ct-{i}.dcm": osl.dicom_bytes(i) for i in range(5)}
    files["studies/ct-large.dcm"] = osl.dicom_bytes(99, rows=2048, cols=2048)  # 8 MiB
    for key, data in files.items():
        pacs.upload_fileobj(io.BytesIO(data), "pacs-images", key)
    for key, data in files.items():
        got = pacs.get_object(Bucket="pacs-images", Key=key)["Body"].read()
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), key
    ds = pydicom.dcmread(io.BytesIO(
        pacs.get_object(Bucket="pacs-images", Key="studies/ct-3.dcm")["Body"].read()))
    assert str(ds.PatientName) == "张^伟3"


def retry(call: Callable[[], Any], seconds: float) -> Any:
    """``call()`` until it succeeds or ``seconds`` pass (bounded), re-raising the last error."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except (ClientError, BotoCoreError):
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


@pytest.mark.lab
def test_volume_host_loss_then_return_heals(deployed: Deployed, pacs: Any) -> None:
    lab = deployed.lab
    before = {f"loss/{i}.bin": os.urandom(200_000) for i in range(12)}
    for key, data in before.items():
        pacs.put_object(Bucket="pacs-images", Key=key, Body=data)
    lab.kill("s3-3")
    try:
        for key, data in before.items():
            got = retry(functools.partial(pacs.get_object, Bucket="pacs-images", Key=key), 90)
            assert got["Body"].read() == data, key
        during = {f"during/{i}.bin": os.urandom(200_000) for i in range(6)}
        for key, data in during.items():
            retry(functools.partial(pacs.put_object, Bucket="pacs-images", Key=key, Body=data),
                  120)
        for key, data in during.items():
            assert pacs.get_object(Bucket="pacs-images", Key=key)["Body"].read() == data
        # While a host is gone, the evidence shows volumes short of a copy.
        degraded = [r for r in deployed.verify(("s3-1",))["s3-1"]["results"]
                    if r["control"] == "CES-BAK-04" and "copies" in r["check"]]
        assert degraded[0]["status"] == "fail", degraded
        assert degraded[0]["observed"]["volumes_short_of_copies"], degraded
    finally:
        lab.start("s3-3")
    deadline = time.monotonic() + 120
    while True:
        evidence = deployed.verify()
        copies = [r for r in evidence["s3-1"]["results"] if r["control"] == "CES-BAK-04"
                  and "copies" in r["check"]]
        if copies[0]["status"] == "pass" or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert copies[0]["status"] == "pass", copies
    assert copies[0]["observed"]["volume_hosts"] == 3
    assert all(r["status"] == "pass" for r in evidence["s3-3"]["results"]), evidence["s3-3"]
    for key, data in {**before, **during}.items():
        assert pacs.get_object(Bucket="pacs-images", Key=key)["Body"].read() == data
