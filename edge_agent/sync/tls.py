"""The gateway's TLS files: its private key, its client certificate and the broker's CA.

The one home of ``cryptography.x509`` on the gateway's link, imported only when a key or a
certificate is handled: a gateway on loopback or plain TLS never loads it. The key (EC P-256)
is made on the gateway the first time a certificate is requested and never leaves it: the
broker sees a certificate signing request, and returns a certificate naming the gateway's
device id. Key files are written 0600 in a 0700 directory, and every file is replaced
atomically.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import structlog

from edge_agent.config import CloudSection
from edge_agent.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

log = structlog.get_logger("edge_agent.sync.tls")

TlsMode = Literal["off", "tls", "mtls"]
RENEW_AT = 2 / 3  # of a certificate's lifetime: renew once this much has passed


@dataclass(frozen=True, slots=True)
class ClientTls:
    """Where the gateway's TLS files are and how the link uses them."""

    mode: TlsMode = "off"
    ca_file: Path | None = None  # None: the system's trusted CAs
    cert_file: Path = Path("tls/client.pem")
    key_file: Path = Path("tls/client.key")
    server_name: str = ""  # overrides the host name checked in the broker's certificate

    @classmethod
    def from_config(cls, cloud: CloudSection, data_dir: Path) -> ClientTls:
        """The TLS settings of ``[cloud]``, with files defaulting to ``<data_dir>/tls``."""
        return cls(mode=cloud.tls, ca_file=cloud.ca_file,
                   cert_file=cloud.cert_file or data_dir / "tls" / "client.pem",
                   key_file=cloud.key_file or data_dir / "tls" / "client.key",
                   server_name=cloud.server_name)

    @property
    def broker_ca_file(self) -> Path:
        """Where the CA certificate the broker sent at enrolment is kept (for inspection)."""
        return self.cert_file.with_name("broker-ca.pem")

    def root_certificates(self) -> bytes | None:
        """The CA certificates that may sign the broker's certificate; None: the system's."""
        if self.ca_file is None:
            return None
        try:
            return self.ca_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read [cloud] ca_file {self.ca_file}: {exc.strerror}; "
                              "copy the broker's CA certificate there") from exc

    def client_pair(self) -> tuple[bytes, bytes] | None:
        """(private key, certificate) in PEM, or None before the first certificate."""
        if self.mode != "mtls" or not self.cert_file.exists() or not self.key_file.exists():
            return None
        return self.key_file.read_bytes(), self.cert_file.read_bytes()

    def csr(self) -> bytes:
        """A PEM signing request for the gateway's key, made (0600) the first time."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        key = self._key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nanogate gateway")])
        request = x509.CertificateSigningRequestBuilder().subject_name(subject)
        return request.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def save(self, certificate: bytes, ca_certificate: bytes = b"") -> None:
        """Keep a certificate the broker issued (and its CA's), replacing the old one."""
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(certificate)
        if cert.public_key() != self._key().public_key():
            raise ValueError("the broker's certificate is not for this gateway's key")
        _write(self.cert_file, certificate, 0o644)
        if ca_certificate:
            _write(self.broker_ca_file, ca_certificate, 0o644)
        log.info("certificate.saved", path=str(self.cert_file),
                 serial=format(cert.serial_number, "x"),
                 not_after=cert.not_valid_after_utc.isoformat())

    def validity(self) -> tuple[float, float] | None:
        """(not before, not after) of the current certificate in unix seconds, or None."""
        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate(self.cert_file.read_bytes())
        except (OSError, ValueError):
            return None
        return cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()

    def renewal_due(self, now: float | None = None) -> bool:
        """Whether the certificate has lived ``RENEW_AT`` of its lifetime (mtls only)."""
        span = self.validity() if self.mode == "mtls" else None
        if span is None:
            return False
        start, end = span
        return (now or time.time()) >= start + (end - start) * RENEW_AT

    def expired(self, now: float | None = None) -> bool:
        """Whether the current certificate's validity has ended (mtls only)."""
        span = self.validity() if self.mode == "mtls" else None
        return span is not None and (now or time.time()) >= span[1]

    def _key(self) -> ec.EllipticCurvePrivateKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        if not self.key_file.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            _write(self.key_file, key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()), 0o600)
            log.info("tls.key_created", path=str(self.key_file))
        loaded = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ConfigError(f"{self.key_file} holds no EC private key; move it away to make "
                              "a new one (the gateway then needs a new enrolment)")
        return loaded


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` atomically with a file created with ``mode`` (never wider)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
