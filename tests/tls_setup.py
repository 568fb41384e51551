"""A certificate authority, a server certificate and a reserved port for the TLS emulator, made
once per test run and before anything imports ``fal_client`` (``tests.embedded`` imports this).

fal_client reads ``FAL_RUN_HOST`` / ``FAL_QUEUE_RUN_HOST`` once, at import, and builds https URLs
from them; httpx trusts the certificates in ``SSL_CERT_FILE``. So the real clients reach the
emulator by configuration alone: the queue host is ``127.0.0.1:<port>`` and the CA bundle is
certifi's with our CA appended (anything else that verifies https still can). The listening
socket is bound and kept open from here on, so no other process can take the port before the
emulator (``tests.tls_emulator``) starts serving on it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import tempfile
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DIRECTORY = Path(tempfile.mkdtemp(prefix="personae-test-tls-"))
CA_BUNDLE = DIRECTORY / "ca-bundle.pem"
SERVER_CERT = DIRECTORY / "server.pem"
SERVER_KEY = DIRECTORY / "server-key.pem"


def _certificates() -> None:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Personae test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital_signature, key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    CA_BUNDLE.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca_pem)
    SERVER_CERT.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    SERVER_KEY.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


_certificates()
LISTENER = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
LISTENER.bind(("127.0.0.1", 0))
LISTENER.listen(128)
PORT: int = LISTENER.getsockname()[1]
HOST = f"127.0.0.1:{PORT}"
ORIGIN = f"https://{HOST}"

os.environ.update({"FAL_RUN_HOST": HOST, "FAL_QUEUE_RUN_HOST": HOST, "SSL_CERT_FILE": str(CA_BUNDLE)})
