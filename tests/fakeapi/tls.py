"""A throwaway CA and a server certificate for 127.0.0.1, made when a fake server starts.

Clients verify the server as they would a real cluster's (no `insecure-skip-tls-verify`), so
the TLS settings a kubeconfig carries are exercised too. The `cryptography` package makes the
certificates when it is importable; otherwise the `openssl` command line does.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

VALID_FOR = datetime.timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_certificates(folder: Path, *, use_openssl: bool = False) -> TlsFiles:
    """A CA and a server certificate (for `127.0.0.1` and `localhost`) signed by it."""
    files = TlsFiles(
        ca_cert=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
    )
    try:
        if use_openssl:
            raise ImportError("openssl asked for")
        import cryptography  # noqa: F401
    except ImportError:
        _with_openssl(folder, files)
    else:
        _with_cryptography(files)
    return files


def _with_cryptography(files: TlsFiles) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def builder(subject: str, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name("fake-apiserver-ca"))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + VALID_FOR)
        )

    ca = (
        builder("fake-apiserver-ca", ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,  # Go's verifier insists on it for a CA
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    server = (
        builder("fake-apiserver", key.public_key())
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    files.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _with_openssl(folder: Path, files: TlsFiles) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("neither the cryptography package nor the openssl command is present")
    ca_key, csr, ext = folder / "ca.key", folder / "server.csr", folder / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    days = str(VALID_FOR.days)
    commands = [
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", ca_key, "-out", files.ca_cert, "-days", days, "-subj", "/CN=fake-apiserver-ca",
         "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", files.server_key, "-out", csr, "-subj", "/CN=fake-apiserver"],
        ["x509", "-req", "-in", csr, "-CA", files.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
         "-out", files.server_cert, "-days", days, "-extfile", ext],
    ]  # fmt: skip
    for args in commands:
        subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)
