"""object_storage: a locked object survives every path around S3, from a local account on a
storage host, from root without the administrator's gRPC certificate and from outside the
store; the verify evidence fails when gRPC mutual TLS or the HTTP white list is off.

Its own lab (three storage hosts, the lab namespace outside the store), in file order.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlps.lab import Lab
from tests.roles import object_storage_lab as osl

LAB_NAME = "mlps-t-s3lock"
BUCKET = "pacs-images"
ATTACKER = "mallory"
GRPC_PORTS = (19333, 18080, 18888, 18333)


@dataclass(frozen=True)
class Locked:
    """A COMPLIANCE-locked object large enough to live on the volume servers."""

    key: str
    version: str
    body: bytes
    path: str  # its entry in the filer
    fids: tuple[str, ...]  # its chunks on the volume servers


@pytest.fixture(scope="module")
def lab(lab_factory: Callable[..., Lab]) -> Lab:
    return lab_factory(LAB_NAME, topology=osl.TOPOLOGY)


@pytest.fixture(scope="module")
def deployed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> osl.Deployed:
    return osl.deploy(lab, tmp_path_factory.mktemp("object-storage-lockdown"))


@pytest.fixture(scope="module")
def s3(deployed: osl.Deployed) -> Iterator[osl.LabS3]:
    endpoint = f"https://{deployed.lab.hosts['s3-1'].address}:{osl.S3_PORT}"
    clients = osl.LabS3(deployed.lab, endpoint, deployed.secrets)
    yield clients
    clients.close()


@pytest.fixture(scope="module")
def pacs(s3: osl.LabS3) -> Any:
    return s3.client("pacs")


@pytest.fixture(scope="module")
def admin(s3: osl.LabS3) -> Any:
    return s3.client("admin")


@pytest.fixture(scope="module")
def locked(deployed: osl.Deployed, pacs: Any) -> Locked:
    key = f"lock/{secrets.token_hex(4)}.dcm"
    body = os.urandom(300_000)
    version = pacs.put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"]
    assert pacs.head_object(Bucket=BUCKET, Key=key)["ObjectLockMode"] == "COMPLIANCE"
    path = f"/buckets/{BUCKET}/{key}.versions/v_{version}"
    meta = osl.weed_shell(deployed.lab, "s3-1", [f"fs.meta.cat {path}"])  # the administrator
    fids = tuple(osl.file_ids(meta.stdout))
    assert fids, meta.stdout[-2000:] + meta.stderr[-2000:]
    return Locked(key, version, body, path, fids)


@pytest.fixture(scope="module")
def attacker(deployed: osl.Deployed) -> str:
    """A local account on s3-1 with its own copy of the weed binary."""
    deployed.lab.run("s3-1", f"id {ATTACKER} || useradd -m -s /bin/bash {ATTACKER}; "
                             f"install -o {ATTACKER} -m 0755 /usr/local/bin/weed /home/{ATTACKER}/weed")
    return ATTACKER


def reads_back(pacs: Any, obj: Locked) -> None:
    got = pacs.get_object(Bucket=BUCKET, Key=obj.key, VersionId=obj.version)["Body"].read()
    assert got == obj.body
    assert pacs.head_object(Bucket=BUCKET, Key=obj.key)["VersionId"] == obj.version


def destructive_commands(obj: Locked, lab: Lab) -> list[str]:
    volume = obj.fids[0].split(",")[0]
    node = f"{lab.hosts['s3-1'].address}:8080"
    return ["lock", f"fs.rm -r {obj.path}", f"volume.delete -node {node} -volumeId {volume}",
            "volume.deleteEmpty -quietFor=1s -force", "unlock"]


def internal_attacks(obj: Locked, lab: Lab) -> list[dict[str, Any]]:
    """Every non-S3 way to delete or overwrite the object, on every storage host."""
    plans: list[dict[str, Any]] = []
    for host in osl.HOSTS:
        addr = lab.hosts[host].address
        plans += [{"kind": "http", "method": "DELETE", "url": f"http://{addr}:8080/{fid}"}
                  for fid in obj.fids]
        plans += [
            {"kind": "assign_then_write", "master": f"{addr}:9333"},
            {"kind": "http", "method": "GET",
             "url": f"http://{addr}:9333/col/delete?collection={BUCKET}"},
        ]
        plans += [{"kind": "grpc", "address": f"{addr}:{port}", "tls": tls}
                  for port in GRPC_PORTS[:2] for tls in (False, True)]
    s3_1 = lab.hosts["s3-1"].address
    plans += [{"kind": "http", "method": "DELETE", "url": f"http://{s3_1}:8888{obj.path}"},
              {"kind": "http", "method": "DELETE",
               "url": f"http://{s3_1}:8888/buckets/{BUCKET}/?recursive=true"}]
    plans += [{"kind": "grpc", "address": f"{s3_1}:{port}", "tls": tls}
              for port in GRPC_PORTS[2:] for tls in (False, True)]
    return plans


def assert_all_refused(results: list[dict[str, Any]], expected: int) -> None:
    assert len(results) == expected, results
    allowed = [r for r in results if not r["refused"]]
    assert not allowed, allowed


@pytest.mark.lab
def test_verify_reports_mutual_tls_white_list_and_local_lockout(deployed: osl.Deployed) -> None:
    evidence = deployed.verify()
    for host, doc in evidence.items():
        failed = [r for r in doc["results"] if r["status"] != "pass"]
        assert not failed, failed
        checks = [r["check"] for r in doc["results"] if r["control"] == "CES-INT-02"]
        grpc = [c for c in checks if c.startswith("gRPC port")]
        assert len(grpc) == (4 if host == "s3-1" else 2), checks
        assert any("white_list" in c for c in checks), checks
        assert any("unprivileged local account" in c for c in checks), checks
        modes = {r["check"].split()[0]: r["observed"] for r in doc["results"]
                 if r["control"] == "CES-ACL-05"}
        assert modes["/usr/local/bin/weed"] == "root:seaweedfs 0750", modes
        assert modes["/etc/seaweedfs/grpc/admin.key"] == "root:root 0600", modes


@pytest.mark.lab
def test_local_account_cannot_delete_a_locked_object(
    deployed: osl.Deployed, locked: Locked, attacker: str, pacs: Any,
) -> None:
    lab = deployed.lab
    # The installed binary, the keys and the data are closed to the account.
    for command in ("/usr/local/bin/weed version", "cat /etc/seaweedfs/grpc/admin.key",
                    "cat /etc/seaweedfs/security.toml", "cat /root/.seaweedfs/security.toml",
                    f"ls {osl.DATA_DIR}/volume", f"touch {osl.DATA_DIR}/volume/x"):
        proc = lab.run("s3-1", f"runuser -u {attacker} -- {command}", check=False)
        assert proc.returncode != 0, command
    # Its own weed binary: the shell never reaches a master, filer or volume server.
    shell = osl.weed_shell(lab, "s3-1", destructive_commands(locked, lab), user=attacker,
                           home=f"/home/{attacker}", binary=f"/home/{attacker}/weed")
    assert shell.returncode != 0 and "volume Id" not in shell.stdout, shell.stdout[-2000:]
    plans = internal_attacks(locked, lab)
    assert_all_refused(osl.attack_from_host(lab, "s3-1", plans, user=attacker), len(plans))
    reads_back(pacs, locked)


@pytest.mark.lab
def test_root_without_the_administrator_certificate_is_refused_by_grpc(
    deployed: osl.Deployed, locked: Locked, pacs: Any,
) -> None:
    lab = deployed.lab
    # The administrator's shell (root's security.toml, client certificate) does reach the store.
    listed = osl.weed_shell(lab, "s3-1", [f"fs.ls -l {locked.path.rsplit('/', 1)[0]}"])
    assert f"v_{locked.version}" in listed.stdout, listed.stdout[-2000:] + listed.stderr[-2000:]
    # Root with a security.toml of its own and no certificate: refused, so nothing is deleted.
    lab.run("s3-1", "mkdir -p /tmp/nocert && : > /tmp/nocert/security.toml")
    shell = osl.weed_shell(lab, "s3-1", destructive_commands(locked, lab), home="/tmp/nocert")
    assert shell.returncode != 0 and "volume Id" not in shell.stdout, shell.stdout[-2000:]
    # Root passes the host firewall and the white list: gRPC needs a certificate, the volume
    # and filer HTTP APIs a signed token.
    s3_1 = lab.hosts["s3-1"].address
    plans: list[dict[str, Any]] = [
        {"kind": "grpc", "address": f"{s3_1}:{port}", "tls": tls}
        for port in GRPC_PORTS for tls in (False, True)]
    plans += [{"kind": "http", "method": "DELETE", "url": f"http://{s3_1}:8080/{fid}"}
              for fid in locked.fids]
    plans += [{"kind": "http", "method": "DELETE", "url": f"http://{s3_1}:8888{locked.path}"}]
    results = osl.attack_from_host(lab, "s3-2", plans)
    assert_all_refused(results, len(plans))
    assert all(r["status"] == 401 for r in results if r["kind"] == "http"), results
    reads_back(pacs, locked)


@pytest.mark.lab
def test_outside_host_cannot_delete_a_locked_object(
    deployed: osl.Deployed, locked: Locked, pacs: Any, tmp_path: Path,
) -> None:
    lab = deployed.lab
    shell = osl.weed_shell_outside(lab, tmp_path, destructive_commands(locked, lab))
    assert shell.returncode != 0 and "volume Id" not in shell.stdout, shell.stdout[-2000:]
    plans = internal_attacks(locked, lab)
    assert_all_refused(osl.attack_from_outside(lab, plans), len(plans))
    reads_back(pacs, locked)


@pytest.mark.lab
def test_object_lock_holds_against_s3_deletes_and_configuration_changes(
    locked: Locked, pacs: Any, admin: Any,
) -> None:
    for client in (pacs, admin):
        for bypass in (False, True):
            batch = client.delete_objects(
                Bucket=BUCKET, BypassGovernanceRetention=bypass,
                Delete={"Objects": [{"Key": locked.key, "VersionId": locked.version}]})
            assert not batch.get("Deleted"), batch
            assert [e["Code"] for e in batch["Errors"]] == ["AccessDenied"], batch
            delete = functools.partial(client.delete_object, Bucket=BUCKET, Key=locked.key,
                                       VersionId=locked.version, BypassGovernanceRetention=bypass)
            assert error_code(delete) == "AccessDenied"
        governance = functools.partial(
            client.put_object_retention, Bucket=BUCKET, Key=locked.key, VersionId=locked.version,
            BypassGovernanceRetention=True,
            Retention={"Mode": "GOVERNANCE",
                       "RetainUntilDate": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)})
        assert error_code(governance) == "AccessDenied"
    # A workload cannot weaken the bucket: no GOVERNANCE default, no expiry rule.
    to_governance = functools.partial(
        pacs.put_object_lock_configuration, Bucket=BUCKET,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                 "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    assert error_code(to_governance) == "AccessDenied"
    expire = functools.partial(
        pacs.put_bucket_lifecycle_configuration, Bucket=BUCKET,
        LifecycleConfiguration={"Rules": [{
            "ID": "wipe", "Status": "Enabled", "Filter": {"Prefix": ""},
            "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    assert error_code(expire) == "AccessDenied"
    lock = admin.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 10950}
    head = pacs.head_object(Bucket=BUCKET, Key=locked.key, VersionId=locked.version)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    reads_back(pacs, locked)


@pytest.mark.lab
def test_an_expiry_rule_on_a_locked_bucket_is_reported_and_removed(
    deployed: osl.Deployed, locked: Locked, pacs: Any, admin: Any,
) -> None:
    check = f"bucket {BUCKET}: no lifecycle rule expires objects under lock"
    # The role's own identity may still write one; the evidence and the next run catch it.
    admin.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [{
        "ID": "wipe", "Status": "Enabled", "Filter": {"Prefix": ""},
        "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    found = [r for r in deployed.verify(("s3-1",))["s3-1"]["results"] if r["check"] == check]
    assert found and found[0]["status"] == "fail" and found[0]["observed"] == ["wipe"], found
    repair = deployed.run()
    assert repair.ok and repair.changed >= 1, repair.output[-3000:]
    try:
        rules = admin.get_bucket_lifecycle_configuration(Bucket=BUCKET).get("Rules", [])
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchLifecycleConfiguration", exc
        rules = []
    assert not [r for r in rules if "Expiration" in r or "NoncurrentVersionExpiration" in r]
    again = [r for r in deployed.verify(("s3-1",))["s3-1"]["results"] if r["check"] == check]
    assert again and again[0]["status"] == "pass", again
    reads_back(pacs, locked)


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return str(info.value.response["Error"]["Code"])


@pytest.mark.lab
def test_verify_fails_when_grpc_tls_or_the_white_list_is_off(
    deployed: osl.Deployed, locked: Locked, pacs: Any,
) -> None:
    lab = deployed.lab
    # s3-2: servers without a gRPC certificate fall back to plain gRPC; s3-3: an empty white list.
    lab.run("s3-2", "sed -i 's/^cert = .*/cert = \"\"/' /etc/seaweedfs/security.toml && "
                    "systemctl restart seaweedfs-master seaweedfs-volume")
    lab.run("s3-3", "sed -i 's/^white_list = .*/white_list = \"\"/' /etc/seaweedfs/security.toml "
                    "&& systemctl restart seaweedfs-master")
    evidence = deployed.verify(("s3-2", "s3-3"))

    def failed(host: str, words: str) -> list[dict[str, Any]]:
        return [r for r in evidence[host]["results"]
                if r["control"] == "CES-INT-02" and words in r["check"] and r["status"] == "fail"]

    plain = failed("s3-2", "gRPC port")
    assert {r["check"].split()[2] for r in plain} == {"19333", "18080"}, evidence["s3-2"]
    assert all(r["observed"]["plaintext"] == "http2" for r in plain), plain
    guard = failed("s3-3", "white_list")
    assert guard and guard[0]["observed"]["white_list"] == [], evidence["s3-3"]
    assert guard[0]["observed"]["requests"]["9333/dir/lookup?volumeId=1"]["from_loopback"] != 401
    repair = deployed.run()
    assert repair.ok and repair.changed >= 2, repair.output[-3000:]
    again = deployed.verify(("s3-2", "s3-3"))
    bad = [r for doc in again.values() for r in doc["results"] if r["status"] != "pass"]
    assert not bad, bad
    reads_back(pacs, locked)
