"""A local certificate authority and one server certificate for 127.0.0.1 / localhost, for the
secured local broker and database (scripts/services up --secure). Made once under a folder;
the CA's certificate is what clients trust (verify-full, SASL_SSL)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DAYS = 825


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA's certificate (PEM): clients trust it
    cert: Path  # the server's certificate (PEM)
    key: Path  # the server's private key (PKCS#8 PEM, unencrypted, mode 0600)
    bundle: Path  # key then certificate chain in one PEM file (Kafka's PEM keystore)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.touch(mode=mode)
    path.chmod(mode)
    path.write_bytes(data)


def ensure(folder: Path) -> Certificates:
    """The certificates under `folder`, made when absent."""
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                         folder / "server-bundle.pem")  # fmt: skip
    if all(p.is_file() for p in (found.ca, found.cert, found.key, found.bundle)):
        return found
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("flink-compliance local CA"))
        .issuer_name(_name("flink-compliance local CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    _write(found.ca, ca_pem)
    _write(found.cert, cert_pem + ca_pem)
    _write(found.key, _pem_key(key), 0o600)
    _write(found.bundle, _pem_key(key) + cert_pem + ca_pem, 0o600)
    return found
