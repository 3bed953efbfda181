"""The drain delivers each outbox item in its own error boundary, with per-item backoff."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from edge_agent.config import CloudSection, GatewaySection
from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.outbox import NewItem, Outbox, OutboxItem
from edge_agent.sync import Link
from edge_agent.sync.transport import Identity
from nanogate.v1 import edge_pb2 as pb
from tests.support.escalations import escalation


class Cloud:
    """Our Transport Protocol, answering escalations as the test says."""

    def __init__(self, fail: Exception | None = None, delays: list[float] | None = None) -> None:
        self.fail = fail
        self.delays = delays or []  # each call's latency, in turn (the race test's lever)
        self.escalations: list[str] = []
        self.acks: list[str] = []

    async def escalate(self, request: pb.EscalateRequest, *,
                       timeout: float) -> pb.EscalateResponse:
        self.escalations.append(request.idempotency_key)
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))
        if self.fail is not None:
            raise self.fail
        return pb.EscalateResponse(answer=f"answer to {request.text}", backend="fake")

    async def ack_command(self, ack: pb.CommandAck, *, timeout: float) -> None:
        self.acks.append(ack.command_id)

    async def upload(self, request: pb.UploadRequest, *, timeout: float) -> pb.UploadResponse:
        return pb.UploadResponse(accepted=[i.idempotency_key for i in request.items])

    def set_identity(self, identity: Identity) -> None:
        pass


def make_link(tmp_path: Path, cloud: Cloud, answered: list[tuple[str, pb.EscalateResponse]],
              **options: float) -> tuple[Link, Outbox]:
    """A link over a real outbox; answers go to ``answered`` (a reply to ``x/#`` fails)."""
    outbox = Outbox(tmp_path / "outbox.db", max_items=1000, max_bytes=1 << 22)

    async def on_answer(item: OutboxItem, reply: pb.EscalateResponse) -> None:
        topic = item.queued().route.topic
        if "#" in topic:  # what paho does with a wildcard publish topic
            raise ValueError("Publish topic cannot contain wildcards.")
        answered.append((item.key, reply))

    async def on_command(command: pb.Command) -> tuple[bool, dict[str, object]]:
        return True, {}

    cloud_config = CloudSection(retry_min_s=options.pop("retry_min_s", 0.0))
    link = Link(cloud, outbox, cloud_config, GatewaySection(data_dir=tmp_path),  # type: ignore[arg-type]
                on_answer=on_answer, on_command=on_command, health=pb.HeartbeatRequest,
                max_attempts=int(options.pop("max_attempts", 30)),
                retry_max_s=options.pop("retry_max_s", 0.0))
    link.identity = Identity("gw-1", "credential")
    return link, outbox


def test_poison_reply_route_is_dead_lettered_and_the_rest_drain(tmp_path: Path) -> None:
    """An item whose reply cannot be published is dead-lettered; the others are answered."""
    answered: list[tuple[str, pb.EscalateResponse]] = []
    link, outbox = make_link(tmp_path, Cloud(), answered)
    for item in (escalation("good-1"), escalation("poison", "x/#"), escalation("good-2")):
        outbox.put(item)
    outbox.put(NewItem("ack", "acks", {"command_id": "cmd-1", "ok": True}, key="ack-1"))
    with capture_logs() as logs:
        delivered = asyncio.run(link.drain_once())
    assert delivered == 3
    assert sorted(key for key, _ in answered) == ["good-1", "good-2"]
    assert outbox.status().depth == 0 and outbox.status().dead == {"escalation": 1}
    assert any(e["event"] == "outbox.dead_lettered" and e["key"] == "poison" for e in logs)


def test_broken_payload_is_dead_lettered(tmp_path: Path) -> None:
    """An ack without its command id cannot be sent: dead-lettered, the drain goes on."""
    cloud = Cloud()
    link, outbox = make_link(tmp_path, cloud, [])
    outbox.put(NewItem("ack", "acks", {"ok": True}, key="ack-broken"))
    outbox.put(NewItem("ack", "acks", {"command_id": "cmd-2", "ok": True}, key="ack-2"))
    assert asyncio.run(link.drain_once()) == 1
    assert cloud.acks == ["cmd-2"] and outbox.status().dead == {"ack": 1}


def test_a_failed_item_backs_off_alone(tmp_path: Path) -> None:
    """After a failure an item waits its turn; the drain does not send it again at once."""
    cloud = Cloud(fail=CloudUnavailable("escalate: UNAVAILABLE: no model backend"))
    link, outbox = make_link(tmp_path, cloud, [], retry_min_s=30.0, retry_max_s=60.0)
    outbox.put(escalation("e1"))
    with pytest.raises(CloudUnavailable):
        asyncio.run(link.drain_once())
    assert asyncio.run(link.drain_once()) == 0
    assert cloud.escalations == ["e1"]
    [item] = outbox.due(10, now=time.time() + 120)
    assert item.attempts == 1


@pytest.mark.parametrize("fail", [CloudUnavailable("escalate: UNAVAILABLE: busy"),
                                  CloudRejected("unauthenticated", "who are you?")],
                         ids=["unavailable", "rejected"])
def test_attempt_cap_dead_letters_with_an_error_reply(tmp_path: Path, fail: Exception) -> None:
    """After max_attempts failures the requester hears why, and the broker is left alone."""
    answered: list[tuple[str, pb.EscalateResponse]] = []
    cloud = Cloud(fail=fail)
    link, outbox = make_link(tmp_path, cloud, answered, max_attempts=3)
    outbox.put(escalation("e1"))
    for _ in range(10):
        with contextlib.suppress(CloudUnavailable):
            asyncio.run(link.drain_once())
    if isinstance(fail, CloudRejected):  # a refusal is the answer: one call, an error reply
        assert len(cloud.escalations) == 1
        assert answered[0][1].error_code == "unauthenticated"
    else:
        assert len(cloud.escalations) == 3
        assert [r.error_code for _, r in answered] == ["undeliverable"]
        assert outbox.status().dead == {"escalation": 1}
    assert outbox.status().depth == 0


@pytest.mark.parametrize("seed", range(5))
def test_a_new_request_racing_the_drain_is_sent_once(tmp_path: Path, seed: int) -> None:
    """The drain replays a backlog while new requests arrive, each at a different moment of
    it, and the cloud answers each call after its own delay: every item reaches the cloud
    once and its requester once, and every new request hears its answer."""
    rng = random.Random(seed)
    answered: list[tuple[str, pb.EscalateResponse]] = []
    cloud = Cloud(delays=[rng.uniform(0, 0.01) for _ in range(100)])
    link, outbox = make_link(tmp_path, cloud, answered)
    backlog = [outbox.put(escalation(f"old-{n}", f"app/{n % 3}")) for n in range(12)]

    async def race() -> list[str]:
        link.up.set()
        drain = asyncio.create_task(link.drain_once())
        await asyncio.sleep(0)  # the drain has taken its batch
        sending = [link.submit(backlog[rng.randrange(12)])]  # one the drain holds
        for n in range(12):
            await asyncio.sleep(rng.uniform(0, 0.01))  # a new request lands mid-replay
            sending.append(link.submit(outbox.put(escalation(f"new-{n}", f"app/{n % 3}"))))
        await drain
        return list(await asyncio.gather(*sending))

    outcomes = asyncio.run(race())
    assert sorted(cloud.escalations) == sorted({*cloud.escalations})  # no key sent twice
    assert sorted(k for k, _ in answered) == sorted(f"{age}-{n}" for age in ("old", "new")
                                                    for n in range(12))
    assert outcomes == ["queued"] + ["answered"] * 12
    assert outbox.status().depth == 0
