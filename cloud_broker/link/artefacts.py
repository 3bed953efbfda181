"""Serving rollout artefacts to gateways over the link: only to the targets of a rollout of
them, as a gRPC stream of chunks or one chunk a call (the MQTT uplink).

``ArtefactServing`` is the part of ``LinkCore`` that does it (mixed in); its store calls run
in the store's threads like every other link call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from cloud_broker.errors import InvalidRequest, NotFound
from cloud_broker.fleet import Artefact, ArtefactStore, Gateway
from nanogate.v1 import edge_pb2 as pb


class ArtefactServing:
    """Artefact look-ups and chunks for the link's gateways."""

    _artefacts: ArtefactStore | None
    _db: Callable[..., Coroutine[Any, Any, Any]]

    def artefact(self, gateway: Gateway, request: pb.ArtefactRequest) -> Artefact:
        """The artefact a gateway asks for, served only to the targets of a rollout of it."""
        store = self._artefacts
        found = store.get(request.name, request.version) if store else None
        if store is None or found is None or not store.serves(found.name, found.version,
                                                              gateway.id):
            raise NotFound(f"no artefact {request.name[:64]} {request.version[:64]} "
                           "in a rollout for this gateway")
        return found

    def artefact_chunks(self, gateway: Gateway,
                        request: pb.ArtefactRequest) -> Iterator[pb.ArtefactChunk]:
        """Every chunk of an artefact, in order (gRPC streams them); checked before the first."""
        found = self.artefact(gateway, request)
        assert self._artefacts is not None  # artefact() found it there
        chunks = self._artefacts.chunks(found.name, found.version)
        return (_chunk(found, seq, data) for seq, data in enumerate(chunks))

    async def artefact_chunk(self, gateway: Gateway, request: pb.ArtefactRequest,
                             seq: int) -> tuple[pb.ArtefactChunk, bool]:
        """Chunk ``seq`` of an artefact and whether it is the last (the MQTT uplink asks for
        one chunk a call)."""
        if seq < 0:
            raise InvalidRequest("a chunk number is 0 or more")
        found, pair = await self._db(self._chunk_pair, gateway, request, seq)
        if not pair:
            raise InvalidRequest(f"artefact {found.name} {found.version} has no chunk {seq}")
        return _chunk(found, seq, pair[0]), len(pair) == 1

    def _chunk_pair(self, gateway: Gateway, request: pb.ArtefactRequest,
                    seq: int) -> tuple[Artefact, list[bytes]]:
        """The artefact and its chunks ``seq`` and ``seq + 1`` (if any)."""
        found = self.artefact(gateway, request)
        assert self._artefacts is not None  # artefact() found it there
        chunks = self._artefacts.chunks(found.name, found.version)
        return found, list(itertools.islice(chunks, seq, seq + 2))


def _chunk(found: Artefact, seq: int, data: bytes) -> pb.ArtefactChunk:
    """One chunk; the first names the artefact's SHA-256 and signature."""
    return pb.ArtefactChunk(data=data, sha256=found.sha256 if seq == 0 else "",
                            signature=found.signature if seq == 0 else "")
