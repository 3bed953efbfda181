"""The seam between the gateway and the link to the cloud: one Protocol, several transports.

Transports speak in the protobuf messages of ``nanogate.v1`` and translate their library's
errors into ``CloudUnavailable`` (try again later) and ``CloudRejected`` (do not retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nanogate.v1 import edge_pb2 as pb


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the broker knows this gateway as."""

    device_id: str
    credential: str
    site: str = ""
    signing_key: str = ""  # hex Ed25519 key of the broker's artefacts; "" trusts nothing


class Transport(Protocol):
    """One link to the cloud broker."""

    async def enrol(self, request: pb.EnrolRequest, *, timeout: float) -> pb.EnrolResponse:
        """Exchange an enrolment token for an identity."""
        ...

    async def heartbeat(
        self, request: pb.HeartbeatRequest, *, timeout: float
    ) -> pb.HeartbeatResponse:
        """Report health."""
        ...

    async def escalate(
        self, request: pb.EscalateRequest, *, timeout: float
    ) -> pb.EscalateResponse:
        """Ask a larger model."""
        ...

    async def upload(self, request: pb.UploadRequest, *, timeout: float) -> pb.UploadResponse:
        """Upload outbox items; the reply lists the keys the broker stored."""
        ...

    async def pull_commands(self, *, max_items: int, timeout: float) -> list[pb.Command]:
        """Commands waiting for this gateway."""
        ...

    async def ack_command(self, ack: pb.CommandAck, *, timeout: float) -> None:
        """Report a command's result."""
        ...

    async def fetch_artefact(self, name: str, version: str, *,
                             timeout: float) -> tuple[bytes, str, str]:
        """Download an artefact: (bytes, sha256 and signature as the broker sent them)."""
        ...

    async def probe(self, *, timeout: float) -> bool:
        """Whether the broker answers now."""
        ...

    def set_identity(self, identity: Identity) -> None:
        """Use this identity for every call from now on."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...
