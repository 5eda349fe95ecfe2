"""Stack outputs and the options that keep audit logs, keys and locked buckets: under the mocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi.runtime.mocks import MockResourceArgs
from synthfix import example

from mlps.synth.mockrun import EchoMocks, Exported, Registration, run_program
from mlps.synth.run import SynthResult
from stacks.model import environment
from stacks.outputs import ca_certificate, inventory_path
from stacks.program import EnvironmentStack, export

KEPT = ("alicloud:kms/key:Key", "alicloud:log/project:Project", "alicloud:log/store:Store",
        "alicloud:oss/bucketWorm:BucketWorm", "alicloud:hbr/vault:Vault",
        "alicloud:threatdetection/instance:Instance", "alicloud:cloudfirewall/instanceV2:InstanceV2")


def _cert(ca: bool) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, key_pem


CA_PEM, CA_KEY = _cert(ca=True)
LEAF_PEM, _ = _cert(ca=False)


class _Controller(EchoMocks):
    """The controller as ``pulumi up`` finds it: the storage play left this CA file."""

    def __init__(self, ca: str) -> None:
        self.ca = ca

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, state = super().new_resource(args)
        if args.typ == "command:local:Command" and args.name.endswith("-s3-ca"):
            state["stdout"] = self.ca
        if args.typ == "alicloud:oss/bucket:Bucket":
            state["intranetEndpoint"] = f"{args.inputs['bucket']}.oss-internal.example"
        return rid, state


def outputs(stack: str, ca: str = CA_PEM) -> tuple[dict[str, Exported], list[Registration]]:
    spec = example(stack)
    got: dict[str, Exported] = {}
    regs = run_program(lambda: export(EnvironmentStack(spec), stack), "mlps", stack, {},
                       mocks=_Controller(ca), exports=got)
    return got, regs


def test_hybrid_outputs_name_inventory_hosts_buckets_and_ca() -> None:
    got, regs = outputs("hybrid-prod")
    env = environment(example("hybrid-prod").effective)
    assert got["inventory"] == Exported(inventory_path("hybrid-prod"), False)
    assert got["inventory"].value == "build/stacks/hybrid-prod/inventory.yml"
    assert got["hosts"].value == {h.name: h.address for h in env.hosts} and got["hosts"].value
    storage = env.hosts_with("object_storage")[0].address
    buckets = got["buckets"].value
    assert set(buckets) == {b.name for b in env.buckets}
    for b in env.buckets:
        expected = (f"https://{storage}:8333" if b.placement == "onprem"
                    else f"https://{b.name}.oss-internal.example")
        assert buckets[b.name] == {"placement": b.placement, "endpoint": expected}
    assert got["s3_endpoint"].value == f"https://{storage}:8333"
    assert got["s3_ca_certificate"] == Exported(CA_PEM.strip() + "\n", False)
    writer = next(r for r in regs if r.name == "hybrid-prod-inventory-file")
    assert writer.inputs["stdin"].startswith("all:") and "known_hosts" in writer.inputs["create"]


@pytest.mark.parametrize("bad", [LEAF_PEM, CA_PEM + CA_KEY, "", "not a certificate"])
def test_storage_ca_output_is_empty_unless_the_file_is_a_ca_certificate(bad: str) -> None:
    assert ca_certificate(bad) == ""
    got, _ = outputs("onprem-lab", ca=bad)
    assert got["s3_ca_certificate"] == Exported("", False)


def test_ca_certificate_accepts_a_ca_from_mlps_pki(tmp_path: Path) -> None:
    from mlps.pki import create_ca

    issued = create_ca(tmp_path, "t")
    pem = issued.cert.read_text()
    assert ca_certificate(pem) == pem.strip() + "\n"


@pytest.mark.parametrize("stack", ["hybrid-prod", "cloud-dev"])
def test_audit_logs_keys_and_locked_buckets_are_protected_and_retained(
    stack: str, synthesized: dict[str, SynthResult]
) -> None:
    regs = synthesized[stack].registrations
    kept = [r for r in regs if r.type in KEPT]
    assert {r.type for r in kept} == set(KEPT)
    assert all(r.protect and r.retain_on_delete for r in kept), [r.name for r in kept]
    env = environment(example(stack).effective)
    for b in env.buckets:
        if b.placement != "cloud":
            continue
        reg = next(r for r in regs
                   if r.type == "alicloud:oss/bucket:Bucket" and r.inputs["bucket"] == b.name)
        locked = b.lock_mode != "none"
        assert (reg.protect, reg.retain_on_delete) == (locked, locked)
    sls_key = [r for r in regs if r.name.startswith(f"{stack}-sls-kms")]
    assert len(sls_key) == 3 and all(r.protect and r.retain_on_delete for r in sls_key)
    loose = [r.name for r in regs if r.protect and r.type not in (*KEPT, "alicloud:oss/bucket:Bucket")
             and r not in sls_key]
    assert loose == []
