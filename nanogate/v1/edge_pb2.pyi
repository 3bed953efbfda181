from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnrolRequest(_message.Message):
    __slots__ = ("token", "requested_id", "site", "agent_version", "csr", "credential")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    CSR_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    token: str
    requested_id: str
    site: str
    agent_version: str
    csr: bytes
    credential: str
    def __init__(self, token: _Optional[str] = ..., requested_id: _Optional[str] = ..., site: _Optional[str] = ..., agent_version: _Optional[str] = ..., csr: _Optional[bytes] = ..., credential: _Optional[str] = ...) -> None: ...

class EnrolResponse(_message.Message):
    __slots__ = ("device_id", "credential", "site", "tags", "artefact_public_key", "certificate", "ca_certificate")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SITE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ARTEFACT_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    credential: str
    site: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    artefact_public_key: str
    certificate: bytes
    ca_certificate: bytes
    def __init__(self, device_id: _Optional[str] = ..., credential: _Optional[str] = ..., site: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., artefact_public_key: _Optional[str] = ..., certificate: _Optional[bytes] = ..., ca_certificate: _Optional[bytes] = ...) -> None: ...

class RenewCertificateRequest(_message.Message):
    __slots__ = ("csr",)
    CSR_FIELD_NUMBER: _ClassVar[int]
    csr: bytes
    def __init__(self, csr: _Optional[bytes] = ...) -> None: ...

class RenewCertificateResponse(_message.Message):
    __slots__ = ("certificate", "ca_certificate", "not_after")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    ca_certificate: bytes
    not_after: float
    def __init__(self, certificate: _Optional[bytes] = ..., ca_certificate: _Optional[bytes] = ..., not_after: _Optional[float] = ...) -> None: ...

class ModelCounters(_message.Message):
    __slots__ = ("model_version", "requests", "local_answers", "escalations", "clarifications", "corrections", "triage_p50_ms", "triage_p99_ms")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ANSWERS_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_FIELD_NUMBER: _ClassVar[int]
    CLARIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    CORRECTIONS_FIELD_NUMBER: _ClassVar[int]
    TRIAGE_P50_MS_FIELD_NUMBER: _ClassVar[int]
    TRIAGE_P99_MS_FIELD_NUMBER: _ClassVar[int]
    model_version: str
    requests: int
    local_answers: int
    escalations: int
    clarifications: int
    corrections: int
    triage_p50_ms: float
    triage_p99_ms: float
    def __init__(self, model_version: _Optional[str] = ..., requests: _Optional[int] = ..., local_answers: _Optional[int] = ..., escalations: _Optional[int] = ..., clarifications: _Optional[int] = ..., corrections: _Optional[int] = ..., triage_p50_ms: _Optional[float] = ..., triage_p99_ms: _Optional[float] = ...) -> None: ...

class Health(_message.Message):
    __slots__ = ("cpu_percent", "memory_mb", "disk_free_mb", "outbox_depth", "escalation_rate", "local_answer_rate", "errors", "requests", "restarts", "models")
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    DISK_FREE_MB_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_RATE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ANSWER_RATE_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    cpu_percent: float
    memory_mb: float
    disk_free_mb: float
    outbox_depth: int
    escalation_rate: float
    local_answer_rate: float
    errors: int
    requests: int
    restarts: int
    models: _containers.RepeatedCompositeFieldContainer[ModelCounters]
    def __init__(self, cpu_percent: _Optional[float] = ..., memory_mb: _Optional[float] = ..., disk_free_mb: _Optional[float] = ..., outbox_depth: _Optional[int] = ..., escalation_rate: _Optional[float] = ..., local_answer_rate: _Optional[float] = ..., errors: _Optional[int] = ..., requests: _Optional[int] = ..., restarts: _Optional[int] = ..., models: _Optional[_Iterable[_Union[ModelCounters, _Mapping]]] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("agent_version", "model_version", "config_version", "health", "sent_at")
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    agent_version: str
    model_version: str
    config_version: str
    health: Health
    sent_at: float
    def __init__(self, agent_version: _Optional[str] = ..., model_version: _Optional[str] = ..., config_version: _Optional[str] = ..., health: _Optional[_Union[Health, _Mapping]] = ..., sent_at: _Optional[float] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("pending_commands", "server_time")
    PENDING_COMMANDS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    pending_commands: int
    server_time: float
    def __init__(self, pending_commands: _Optional[int] = ..., server_time: _Optional[float] = ...) -> None: ...

class Reading(_message.Message):
    __slots__ = ("device_id", "kind", "area", "value", "unit", "ts")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    kind: str
    area: str
    value: str
    unit: str
    ts: float
    def __init__(self, device_id: _Optional[str] = ..., kind: _Optional[str] = ..., area: _Optional[str] = ..., value: _Optional[str] = ..., unit: _Optional[str] = ..., ts: _Optional[float] = ...) -> None: ...

class EscalateRequest(_message.Message):
    __slots__ = ("idempotency_key", "request_id", "text", "intent", "confidence", "context", "alerts", "model", "created_at", "max_tokens")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    request_id: str
    text: str
    intent: str
    confidence: float
    context: _containers.RepeatedCompositeFieldContainer[Reading]
    alerts: _containers.RepeatedScalarFieldContainer[str]
    model: str
    created_at: float
    max_tokens: int
    def __init__(self, idempotency_key: _Optional[str] = ..., request_id: _Optional[str] = ..., text: _Optional[str] = ..., intent: _Optional[str] = ..., confidence: _Optional[float] = ..., context: _Optional[_Iterable[_Union[Reading, _Mapping]]] = ..., alerts: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., created_at: _Optional[float] = ..., max_tokens: _Optional[int] = ...) -> None: ...

class Action(_message.Message):
    __slots__ = ("device_id", "command", "value", "unit", "reason")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    command: str
    value: str
    unit: str
    reason: str
    def __init__(self, device_id: _Optional[str] = ..., command: _Optional[str] = ..., value: _Optional[str] = ..., unit: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("input_tokens", "output_tokens", "cost", "latency_ms")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    output_tokens: int
    cost: float
    latency_ms: float
    def __init__(self, input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost: _Optional[float] = ..., latency_ms: _Optional[float] = ...) -> None: ...

class EscalateResponse(_message.Message):
    __slots__ = ("answer", "backend", "model", "usage", "actions", "replayed", "error_code", "error_message")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    answer: str
    backend: str
    model: str
    usage: Usage
    actions: _containers.RepeatedCompositeFieldContainer[Action]
    replayed: bool
    error_code: str
    error_message: str
    def __init__(self, answer: _Optional[str] = ..., backend: _Optional[str] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., actions: _Optional[_Iterable[_Union[Action, _Mapping]]] = ..., replayed: _Optional[bool] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class OutboxItem(_message.Message):
    __slots__ = ("idempotency_key", "kind", "stream", "payload", "created_at")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    kind: str
    stream: str
    payload: bytes
    created_at: float
    def __init__(self, idempotency_key: _Optional[str] = ..., kind: _Optional[str] = ..., stream: _Optional[str] = ..., payload: _Optional[bytes] = ..., created_at: _Optional[float] = ...) -> None: ...

class UploadRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[OutboxItem]
    def __init__(self, items: _Optional[_Iterable[_Union[OutboxItem, _Mapping]]] = ...) -> None: ...

class UploadResponse(_message.Message):
    __slots__ = ("accepted",)
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, accepted: _Optional[_Iterable[str]] = ...) -> None: ...

class PullCommandsRequest(_message.Message):
    __slots__ = ("max",)
    MAX_FIELD_NUMBER: _ClassVar[int]
    max: int
    def __init__(self, max: _Optional[int] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("id", "name", "args_json", "expires_at", "rollout")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    args_json: str
    expires_at: float
    rollout: RolloutArgs
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., args_json: _Optional[str] = ..., expires_at: _Optional[float] = ..., rollout: _Optional[_Union[RolloutArgs, _Mapping]] = ...) -> None: ...

class RolloutArgs(_message.Message):
    __slots__ = ("rollout_id", "kind", "name", "version", "sha256", "signature", "key_id", "size", "seq", "target", "trust", "manifest_signature", "fetch")
    ROLLOUT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TRUST_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    rollout_id: str
    kind: str
    name: str
    version: str
    sha256: str
    signature: str
    key_id: str
    size: int
    seq: int
    target: str
    trust: bool
    manifest_signature: str
    fetch: str
    def __init__(self, rollout_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., sha256: _Optional[str] = ..., signature: _Optional[str] = ..., key_id: _Optional[str] = ..., size: _Optional[int] = ..., seq: _Optional[int] = ..., target: _Optional[str] = ..., trust: _Optional[bool] = ..., manifest_signature: _Optional[str] = ..., fetch: _Optional[str] = ...) -> None: ...

class PullCommandsResponse(_message.Message):
    __slots__ = ("commands",)
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class CommandAck(_message.Message):
    __slots__ = ("command_id", "ok", "result_json")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    ok: bool
    result_json: str
    def __init__(self, command_id: _Optional[str] = ..., ok: _Optional[bool] = ..., result_json: _Optional[str] = ...) -> None: ...

class AckResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class ArtefactRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ArtefactChunk(_message.Message):
    __slots__ = ("data", "sha256", "signature")
    DATA_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    sha256: str
    signature: str
    def __init__(self, data: _Optional[bytes] = ..., sha256: _Optional[str] = ..., signature: _Optional[str] = ...) -> None: ...
