"""TLS for the MQTT uplink, the same on both sides: who to trust, what to present, which name.

The gateway's credential, its enrolment token and the artefact signing key all cross the
uplink, so it gets the rule gRPC has: a connection to (or from) a host other than loopback
must use TLS, unless the operator says ``allow_insecure`` in so many words.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanogate.link import is_loopback_host


class UplinkTlsError(ValueError):
    """The uplink's TLS settings cannot work; the message says which key to change."""


@dataclass(frozen=True, slots=True)
class MqttTls:
    """How a client verifies the MQTT broker, and the certificate it presents if asked."""

    ca_file: Path | None = None  # None: the system's trusted CAs
    cert_file: Path | None = None  # a client certificate, for brokers that require one
    key_file: Path | None = None
    server_name: str = ""  # the name checked in the broker's certificate, if not the host

    def context(self) -> ssl.SSLContext:
        """A client context that verifies the broker's certificate and host name."""
        context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
        context.server_name = self.server_name
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            if self.ca_file is not None:
                context.load_verify_locations(cafile=str(self.ca_file))
            else:
                context.load_default_certs()
            if self.cert_file is not None:
                context.load_cert_chain(str(self.cert_file),
                                        str(self.key_file) if self.key_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise UplinkTlsError(f"cannot load the MQTT uplink's TLS files "
                                 f"({self.ca_file}, {self.cert_file}): {exc}") from exc
        return context


class _NamedContext(ssl.SSLContext):
    """An SSL context that checks ``server_name`` instead of the host it connects to."""

    server_name = ""

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        if self.server_name:
            kwargs["server_hostname"] = self.server_name
        return super().wrap_socket(sock, *args, **kwargs)


def check_uplink(host: str, tls: MqttTls | None, *, allow_insecure: bool, keys: str) -> None:
    """Refuse a plaintext uplink to a host other than loopback (``keys``: how to turn TLS on).

    TLS files are loaded here too: a missing CA file is an error at start, not at the first
    reconnect.
    """
    if tls is None and not allow_insecure and not is_loopback_host(host):
        raise UplinkTlsError(
            f"refusing a plaintext MQTT uplink to {host}: set {keys}, use an MQTT broker on "
            "127.0.0.1, or say allow_insecure = true")
    if tls is not None:
        tls.context()


def uplink_tls(host: str, *, tls: bool, ca_file: Path | None, cert_file: Path | None,
               key_file: Path | None, server_name: str, allow_insecure: bool,
               keys: str) -> MqttTls | None:
    """An uplink's TLS settings from its config keys, checked as ``check_uplink`` does."""
    settings = MqttTls(ca_file, cert_file, key_file, server_name) if tls else None
    check_uplink(host, settings, allow_insecure=allow_insecure, keys=keys)
    return settings
