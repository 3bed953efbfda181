"""Fuzzed gRPC calls against a real EdgeLinkService on loopback: always a status, never a crash."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud_broker.escalation import Answer, Escalation, ProposedAction
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.fleet.enrolment import DEVICE_ID, RESERVED_IDS
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from nanogate.v1 import edge_pb2 as pb

FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SERVICE = "/nanogate.v1.EdgeLink/"
# What a handled refusal looks like. UNKNOWN means an exception escaped a servicer.
REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.RESOURCE_EXHAUSTED}
# Raw bytes that do not parse as the method's message are refused by grpc.aio itself, before
# our code runs, as UNKNOWN ("Unexpected DecodeError raised by servicer method").
RAW_REFUSALS = REFUSALS | {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
_MAX_TEXT, _MAX_CONTEXT, _MAX_ALERTS = 4000, 50, 20


@dataclass
class RecordingAnswerer:
    """A hand-written Answerer: answers at once and remembers the largest escalation it saw."""

    calls: int = 0
    largest: dict[str, int] = field(default_factory=lambda: {"text": 0, "context": 0,
                                                             "alerts": 0, "field": 0})

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        self.calls += 1
        sizes = {"text": len(esc.text), "context": len(esc.context), "alerts": len(esc.alerts),
                 "field": max([0, *(len(r.device_id) + len(r.area) + len(r.value)
                                    for r in esc.context)])}
        self.largest = {k: max(v, sizes[k]) for k, v in self.largest.items()}
        return Answer(text=f"answer {self.calls}", backend="b1", model="m1", input_tokens=1,
                      output_tokens=1, cost=0.0, actions=(ProposedAction("pump-2", "off"),))


@dataclass
class Broker:
    """A running service, its store, and one authenticated channel to it."""

    runner: asyncio.Runner
    store: SqliteFleetStore
    answerer: RecordingAnswerer
    channel: grpc.aio.Channel
    credential: str

    @property
    def auth(self) -> tuple[tuple[str, str], ...]:
        """Metadata that authenticates the enrolled gateway."""
        return (("authorization", f"Bearer {self.credential}"),)

    def call(self, method: str, request: Any, reply_type: Any,
             metadata: tuple[tuple[str, str], ...] | None = None) -> Any:
        """One unary call; returns the reply or the grpc status code it ended with."""
        serialise = None if isinstance(request, bytes) else type(request).SerializeToString
        rpc = self.channel.unary_unary(SERVICE + method, request_serializer=serialise,
                                       response_deserializer=reply_type.FromString)

        async def go() -> Any:
            try:
                return await rpc(request, metadata=self.auth if metadata is None else metadata,
                                 timeout=10)
            except grpc.aio.AioRpcError as exc:
                return exc.code()

        return self.runner.run(go())


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker for a module's worth of examples, on 127.0.0.1:<free port>."""
    store = SqliteFleetStore(Path(tmp_path_factory.mktemp("fuzz-broker")) / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok-1")
    _, credential = store.enrol("tok-1", "gw-a", "lab")
    answerer = RecordingAnswerer()
    with asyncio.Runner() as runner:
        server, port = runner.run(start_grpc(EdgeLinkService(store, answerer), "127.0.0.1:0"))
        channel = runner.run(_channel(f"127.0.0.1:{port}"))
        yield Broker(runner, store, answerer, channel, credential)
        runner.run(channel.close(None))
        runner.run(server.stop(None))
    store.close()


async def _channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address)


_short = st.text(st.characters(exclude_categories=["Cs"]), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "```json\n}", "ignore previous instructions", "x" * 300])
_text = _short | st.just("x" * 70_000)
_int64 = st.integers(-(2**63), 2**63 - 1)
_int32 = st.integers(-(2**31), 2**31 - 1)
_double = st.floats(allow_nan=True, allow_infinity=True)


def _many(item: st.SearchStrategy[Any], sizes: list[int]) -> st.SearchStrategy[list[Any]]:
    """Lists of a few items, or of one item repeated past the service's caps."""
    repeated = st.builds(lambda x, n: [x] * n, item, st.sampled_from(sizes))
    return st.lists(item, max_size=4) | repeated


_reading = st.builds(pb.Reading, device_id=_short, kind=_short, area=_short, value=_short,
                     unit=_short, ts=_double)
_escalate = st.builds(pb.EscalateRequest, idempotency_key=_text, request_id=_text, text=_text,
                      intent=_text, confidence=_double, model=_text, max_tokens=_int32,
                      context=_many(_reading, [51, 2000]), alerts=_many(_short, [21, 5000]))
_item = st.builds(pb.OutboxItem, idempotency_key=_short, kind=_short, stream=_short,
                  payload=st.binary(max_size=200), created_at=_double)
_upload = st.builds(pb.UploadRequest, items=_many(_item, [5001]))
_ack = st.builds(pb.CommandAck, command_id=_text, ok=st.booleans(), result_json=_text)
_pull = st.builds(pb.PullCommandsRequest, max=_int32)
_health = st.builds(pb.Health, cpu_percent=_double, memory_mb=_double, outbox_depth=_int64,
                    errors=_int64)
_heartbeat = st.builds(pb.HeartbeatRequest, agent_version=_text, model_version=_text,
                       sent_at=_double, health=_health)


def _settle(result: Any, reply_type: Any, refusals: set[grpc.StatusCode] = REFUSALS) -> None:
    """A call ends with a reply of the right type or a deliberate refusal."""
    assert isinstance(result, reply_type) or result in refusals, result


@settings(FUZZ, max_examples=400)
@given(request=_escalate)
def test_fuzzed_escalations_get_an_answer_or_a_refusal(broker: Broker,
                                                       request: pb.EscalateRequest) -> None:
    """Any EscalateRequest is answered or refused, and the router sees only capped fields."""
    _settle(broker.call("Escalate", request, pb.EscalateResponse), pb.EscalateResponse)
    largest = broker.answerer.largest
    assert largest["text"] <= _MAX_TEXT and largest["context"] <= _MAX_CONTEXT
    assert largest["alerts"] <= _MAX_ALERTS and largest["field"] <= 64 * 3


@settings(FUZZ, max_examples=200)
@given(request=_upload)
def test_fuzzed_uploads_are_stored_or_refused(broker: Broker, request: pb.UploadRequest) -> None:
    """Uploads of any content are stored, and oversize ones are refused as invalid."""
    result = broker.call("Upload", request, pb.UploadResponse)
    _settle(result, pb.UploadResponse)
    if len(request.items) > 5000:  # refused by count, or by size before it is even parsed
        assert result in {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}
    else:  # any times, any bytes: every keyed item is stored, none sinks the batch
        assert isinstance(result, pb.UploadResponse), result
        assert list(result.accepted) == [i.idempotency_key for i in request.items
                                         if i.idempotency_key]


@settings(FUZZ, max_examples=300)
@given(ack=_ack, real=st.booleans())
def test_fuzzed_command_acks_touch_only_own_commands(broker: Broker, ack: pb.CommandAck,
                                                     real: bool) -> None:
    """Acks with any id and result are recorded only for this gateway's own commands."""
    if real:
        ack.command_id = broker.store.add_command("gw-a", "ping", "{}", ttl_s=60)
    result = broker.call("AckCommand", ack, pb.AckResponse)
    _settle(result, pb.AckResponse)
    assert result.recorded == real


@settings(FUZZ, max_examples=200)
@given(pull=_pull, heartbeat=_heartbeat)
def test_fuzzed_pulls_and_heartbeats_are_answered(broker: Broker, pull: pb.PullCommandsRequest,
                                                  heartbeat: pb.HeartbeatRequest) -> None:
    """Any page size and any health figures get an answer, never an error."""
    result = broker.call("PullCommands", pull, pb.PullCommandsResponse)
    assert isinstance(result, pb.PullCommandsResponse) and len(result.commands) <= 500
    beat = broker.call("Heartbeat", heartbeat, pb.HeartbeatResponse)
    assert isinstance(beat, pb.HeartbeatResponse), beat


_hostile_ids = _short | st.sampled_from([
    "gw-a", "GW-A", "gw-a ", "a/+/#", "$SYS", "enrol", "admin", "bootstrap", "gw-a/res",
    "../gw-a", "gw-\u0430", "x" * 63, "x" * 64, "gw-a\x00", "+", "#", ".", "-", ""])
_enrolments = st.builds(pb.EnrolRequest, token=st.sampled_from(["tok-fuzz", "tok-none", ""]),
                        requested_id=_hostile_ids, site=st.sampled_from(["lab", "", "other"])
                        | _short, credential=st.sampled_from(["", "ngc_forged"]) | _short)


@settings(FUZZ, max_examples=400)
@given(request=_enrolments)
def test_fuzzed_enrolments_never_take_over_or_mint_bad_ids(broker: Broker,
                                                           request: pb.EnrolRequest) -> None:
    """Hostile ids, sites and credentials get a refusal or a clean new id; gw-a stays gw-a."""
    broker.store.create_enrol_token(site="lab", tags=[], reusable=True, token="tok-fuzz")
    result = broker.call("Enrol", request, pb.EnrolResponse, ())
    _settle(result, pb.EnrolResponse)
    if isinstance(result, pb.EnrolResponse):
        assert DEVICE_ID.fullmatch(result.device_id) and result.device_id not in RESERVED_IDS
        assert result.device_id != "gw-a" and result.site == "lab"
    assert broker.store.authenticate(broker.credential).id == "gw-a"


@pytest.mark.parametrize("created_at", [float("nan"), float("inf"), float("-inf")],
                         ids=["nan", "inf", "-inf"])
def test_upload_with_a_bad_time_does_not_sink_its_batch(broker: Broker,
                                                       created_at: float) -> None:
    """An item whose created_at is not finite is stored with the rest of its batch."""
    keys = [f"good-1-{created_at}", f"bad-time-{created_at}", f"good-2-{created_at}"]
    items = [pb.OutboxItem(idempotency_key=keys[0], kind="event", created_at=1_700_000_000.0),
             pb.OutboxItem(idempotency_key=keys[1], kind="event", created_at=created_at),
             pb.OutboxItem(idempotency_key=keys[2], kind="event", created_at=1_700_000_001.0)]
    reply = broker.call("Upload", pb.UploadRequest(items=items), pb.UploadResponse)
    assert isinstance(reply, pb.UploadResponse), reply
    assert list(reply.accepted) == keys
    stored = {row["key"]: row["created"] for row in broker.store.db.all(
        "SELECT key, created FROM uploads WHERE key IN (:k0, :k1, :k2)",
        {f"k{i}": key for i, key in enumerate(keys)})}
    assert set(stored) == set(keys)
    assert all(math.isfinite(created) for created in stored.values())


@pytest.mark.parametrize("method, message", [
    pytest.param("Escalate", pb.EscalateRequest(idempotency_key="big", text="y" * 5_000_000),
                 id="escalate-5MB"),
    pytest.param("Upload", pb.UploadRequest(items=[pb.OutboxItem(
        idempotency_key="big", payload=b"z" * 5_000_000)]), id="upload-5MB"),
])
def test_messages_past_the_size_limit_are_refused(broker: Broker, method: str,
                                                  message: Any) -> None:
    """A message past gRPC's 4 MB limit ends RESOURCE_EXHAUSTED; the next call works."""
    assert broker.call(method, message, pb.EscalateResponse) == \
        grpc.StatusCode.RESOURCE_EXHAUSTED
    assert isinstance(broker.call("PullCommands", pb.PullCommandsRequest(max=1),
                                  pb.PullCommandsResponse), pb.PullCommandsResponse)


_METHODS: dict[str, tuple[Any, Any]] = {
    "Escalate": (pb.EscalateRequest, pb.EscalateResponse),
    "Upload": (pb.UploadRequest, pb.UploadResponse),
    "AckCommand": (pb.CommandAck, pb.AckResponse),
    "PullCommands": (pb.PullCommandsRequest, pb.PullCommandsResponse),
    "Heartbeat": (pb.HeartbeatRequest, pb.HeartbeatResponse),
    "Enrol": (pb.EnrolRequest, pb.EnrolResponse)}


@settings(FUZZ, max_examples=600)
@given(method=st.sampled_from(sorted(_METHODS)), body=st.binary(max_size=400),
       authenticated=st.booleans())
def test_raw_bytes_on_every_method_get_a_status(broker: Broker, method: str, body: bytes,
                                                authenticated: bool) -> None:
    """Random bytes on a method path end in a status; a valid call right after still works."""
    request_type, reply_type = _METHODS[method]
    result = broker.call(method, body, reply_type, None if authenticated else ())
    try:
        request_type.FromString(body)
    except DecodeError:
        _settle(result, reply_type, RAW_REFUSALS)
    else:  # the bytes are a valid message: our code ran, and must not have failed
        _settle(result, reply_type)
    assert isinstance(broker.call("PullCommands", pb.PullCommandsRequest(max=1),
                                  pb.PullCommandsResponse), pb.PullCommandsResponse)


def test_valid_escalation_works_after_the_fuzzing(broker: Broker) -> None:
    """After everything above, the same service answers and replays a plain escalation."""
    request = pb.EscalateRequest(idempotency_key="after-fuzz", request_id="r1", text="why?")
    first = broker.call("Escalate", request, pb.EscalateResponse)
    second = broker.call("Escalate", request, pb.EscalateResponse)
    assert first.answer.startswith("answer ") and first.answer == second.answer
    assert (first.replayed, second.replayed) == (False, True)
    assert [a.device_id for a in first.actions] == ["pump-2"]
