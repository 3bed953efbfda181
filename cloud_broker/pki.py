"""The broker's certificate authority: its server certificate and the gateways' client certificates.

The one home of ``cryptography.x509`` on the broker. The CA (an EC P-256 key and a
self-signed certificate) is created at first start in ``<data_dir>/pki`` or at the paths the
config names; several replicas share it through those files. Each replica issues its own
server certificate at start. A gateway's certificate names its device id (CN and a
``urn:nanogate:device:`` URI), is for client authentication only, and lives a short time;
the store keeps the one serial each device may present, so a replaced certificate stops
working at once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cloud_broker.config import ServerSection
from cloud_broker.errors import ConfigError, InvalidRequest

log = structlog.get_logger("cloud_broker.pki")

TlsMode = Literal["off", "tls", "mtls"]
DEVICE_URI = "urn:nanogate:device:"
_SKEW_S = 300.0  # certificates start this much early, for clocks that lag a little
_CA_DAYS = 3650.0
_SERVER_DAYS = 397.0
_CA_WAIT_S = 10.0  # how long a replica waits for another to finish writing the CA


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate the CA issued to a gateway."""

    pem: bytes
    serial: str  # lower-case hex
    not_after: float  # unix seconds


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """Who a verified client certificate says the caller is."""

    device_id: str
    serial: str


class CertificateAuthority:
    """Signs the broker's server certificates and the gateways' client certificates."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self._cert = certificate

    @classmethod
    def load_or_create(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """The CA in these files; created there (key mode 0600) when neither exists."""
        if not key_path.exists():
            _create_ca(cert_path, key_path)
        deadline = time.monotonic() + _CA_WAIT_S
        while not cert_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # another replica linked the key and is about to link the cert
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the broker CA from {cert_path} and {key_path}: "
                              f"{exc}; restore both files, or move both away to make a new CA"
                              ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or (
                key.public_key() != cert.public_key()):
            raise ConfigError(f"{key_path} is not the EC key of the CA in {cert_path}")
        return cls(key, cert)

    @property
    def certificate_pem(self) -> bytes:
        """The CA's certificate, for gateways to trust."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def issue_server(self, names: Sequence[str], days: float = _SERVER_DAYS
                     ) -> tuple[bytes, bytes]:
        """A fresh key and server certificate for these DNS names and IP addresses (PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [_san(n) for n in names] or [x509.DNSName("localhost")]
        cert = self._sign(self._builder(key.public_key(), names[0] if names else "localhost",
                                        days, time.time())
                          .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                          .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                         critical=False))
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return key_pem, cert.public_bytes(serialization.Encoding.PEM)

    def issue_device(self, csr_pem: bytes, device_id: str, days: float, *,
                     now: float | None = None) -> IssuedCertificate:
        """A client certificate naming ``device_id`` for the CSR's key (its subject is ignored)."""
        public_key = load_csr(csr_pem).public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        uri = x509.UniformResourceIdentifier(DEVICE_URI + quote(device_id, safe=""))
        cert = self._sign(self._builder(public_key, device_id, days, now or time.time())
                          .add_extension(x509.SubjectAlternativeName([uri]), critical=False)
                          .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                         critical=False))
        return IssuedCertificate(cert.public_bytes(serialization.Encoding.PEM),
                                 format(cert.serial_number, "x"),
                                 cert.not_valid_after_utc.timestamp())

    def _builder(self, public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey, name: str,
                 days: float, now: float) -> x509.CertificateBuilder:
        start = dt.datetime.fromtimestamp(now - _SKEW_S, dt.UTC)
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64])]))
                .issuer_name(self._cert.subject)
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(dt.datetime.fromtimestamp(now + days * 86400, dt.UTC))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self._key.public_key()), critical=False))

    def _sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self._key, hashes.SHA256())


def load_csr(csr_pem: bytes) -> x509.CertificateSigningRequest:
    """A well-formed, self-signed CSR for an EC or (2048+ bit) RSA key; InvalidRequest if not."""
    try:
        csr = (x509.load_pem_x509_csr(csr_pem) if csr_pem.lstrip().startswith(b"-----")
               else x509.load_der_x509_csr(csr_pem))
    except ValueError as exc:
        raise InvalidRequest(f"the certificate signing request is unreadable: {exc}") from exc
    key = csr.public_key()
    if not (isinstance(key, ec.EllipticCurvePublicKey)
            or (isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048)):
        raise InvalidRequest("the CSR's key must be EC or RSA of at least 2048 bits")
    if not csr.is_signature_valid:
        raise InvalidRequest("the CSR's signature does not match its key")
    return csr


def peer_certificate(pem: bytes) -> PeerCertificate | None:
    """The device a verified client certificate names; None if it is no device certificate."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (ValueError, x509.ExtensionNotFound):
        return None
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usage or not names:
        return None
    return PeerCertificate(str(names[0].value), format(cert.serial_number, "x"))


@dataclass(frozen=True, slots=True)
class BrokerTls:
    """How the broker's gRPC listener is secured, and the CA behind it."""

    mode: TlsMode = "off"
    allow_insecure: bool = False  # plaintext on a non-loopback address
    ca: CertificateAuthority | None = None
    server_key: bytes = b""
    server_cert: bytes = b""
    enrol_listen: str = ""  # mtls: the TLS-only listener for Enrol
    client_cert_days: float = 30.0


def load_broker_tls(server: ServerSection) -> BrokerTls:
    """The listener's security from ``[server]``: the CA loaded or created, a server certificate."""
    if server.tls == "off":
        return BrokerTls(allow_insecure=server.allow_insecure)
    pki = server.data_dir / "pki"
    ca = CertificateAuthority.load_or_create(server.ca_cert_file or pki / "ca.pem",
                                             server.ca_key_file or pki / "ca.key")
    if server.cert_file and server.key_file:
        key_pem, cert_pem = server.key_file.read_bytes(), server.cert_file.read_bytes()
    else:
        key_pem, cert_pem = ca.issue_server(server.cert_names)
    return BrokerTls(mode=server.tls, allow_insecure=server.allow_insecure, ca=ca,
                     server_key=key_pem, server_cert=cert_pem,
                     enrol_listen=server.enrol_listen,
                     client_cert_days=server.client_cert_days)


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)


def _create_ca(cert_path: Path, key_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nanogate broker CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(seconds=_SKEW_S))
            .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    if _publish(key_path, key_pem, 0o600):  # the replica that links the key writes the cert
        _publish(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        log.info("ca.created", cert=str(cert_path), key=str(key_path))


def _publish(path: Path, data: bytes, mode: int) -> bool:
    """Write ``path`` atomically unless it exists; True if this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        os.link(scratch, path)  # atomic: a replica starting at the same time keeps its own
        return True
    except FileExistsError:
        return False
    finally:
        scratch.unlink()
