"""A small certificate authority for one environment: mutual TLS between log forwarders and
audit servers (CNS-TRANS-03, CNS-TRANS-04).

Keys are generated on the machine that runs it, written with mode 0600 into a directory the
caller chooses (outside the repository), and never printed. A hospital that has its own CA
supplies its files in the same layout instead: ``ca.pem``, ``<name>.pem``, ``<name>.key``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mlps.errors import InputError
from mlps.safe_input import read_bytes
from mlps.safe_output import output_dir, write_marker

CA_NAME = "ca"
CA_CERT = f"{CA_NAME}.pem"
CA_KEY = f"{CA_NAME}.key"
PKI = "pki"
_PEM_MAX = 1 << 20
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


@dataclass(frozen=True)
class Issued:
    """Paths of one certificate and its private key."""

    cert: Path
    key: Path


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only, created that way (never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _validity(days: int) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(minutes=5), now + dt.timedelta(days=days)


def create_ca(directory: Path, name: str, days: int = 3650) -> Issued:
    """Create a CA in ``directory`` (kept if one is already there)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    issued = Issued(directory / CA_CERT, directory / CA_KEY)
    if issued.cert.exists() and issued.key.exists():
        return issued
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start, end = _validity(days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_private(issued.key, _key_pem(key))
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return issued


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate(read_bytes(directory / CA_CERT, _PEM_MAX))
        key = serialization.load_pem_private_key(read_bytes(directory / CA_KEY, _PEM_MAX), None)
    except ValueError as exc:
        raise InputError(str(directory), f"no usable CA ({exc})", "create the CA first") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InputError(str(directory / CA_KEY), "not an EC private key", "supply an EC P-256 key")
    return cert, key


def check_name(name: str) -> None:
    """Refuse a host name that is not a plain DNS name, or that would be the CA's own files."""
    if len(name) > 253 or not _NAME.fullmatch(name):
        raise InputError(None, f"--name {name!r} is not a host name",
                         "use lower-case letters, digits, '-' and '.' (e.g. audit1 or fw1.hospital)")
    if name == CA_NAME:
        raise InputError(None, f"--name {name!r} is reserved for the CA's own files",
                         "give the host's name")


def issue(directory: Path, name: str, days: int = 825) -> Issued:
    """Issue a host certificate for ``name`` (CN and DNS SAN), usable as TLS client and server.

    An existing certificate for the name is kept, so running it again changes nothing.
    """
    check_name(name)
    issued = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    if issued.cert.exists() and issued.key.exists():
        return issued
    ca_cert, ca_key = _load_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _validity(days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(issued.key, _key_pem(key))
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return issued


def environment_pki(directory: Path, ca_name: str, names: list[str]) -> dict[str, Issued]:
    """Make sure ``directory`` holds a CA and one certificate per name; return them by name.

    The directory is new, empty or an earlier PKI directory of mlps (its files are kept);
    it is built beside and published by rename, mode 0700 (mlps.safe_output).
    """
    for name in names:
        check_name(name)
    with output_dir(directory, PKI, option="DIR", mode=0o700, keep=True) as staging:
        create_ca(staging, ca_name)
        for name in names:
            issue(staging, name)
        write_marker(staging, PKI, sorted(p.name for p in staging.iterdir()))
    return {name: Issued(directory / f"{name}.pem", directory / f"{name}.key") for name in names}
