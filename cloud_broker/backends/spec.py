"""Backend settings as they appear in broker.toml under `[[backends]]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class LlamaCppSpec(BaseModel):
    """A GGUF model run by llama.cpp in a supervised worker process; Gemma 3 270M by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["llama_cpp"] = "llama_cpp"
    name: str = "local"
    model: str = "gemma-3-270m"
    model_path: Path | None = None  # None: assemble the packaged Gemma GGUF into the data dir
    n_ctx: int = Field(default=2048, ge=256)
    n_threads: int = Field(default=2, ge=1)
    temperature: float = Field(default=0.2, ge=0.0)
    repeat_penalty: float = Field(default=1.15, ge=1.0)
    tier: int = Field(default=0, ge=0)
    price_in_per_1k: float = Field(default=0.0, ge=0.0)
    price_out_per_1k: float = Field(default=0.0, ge=0.0)
    timeout_s: float = Field(default=60.0, gt=0.0)
    # The longest answer it writes, whatever a request asks for (None: as asked); a small model
    # on a small CPU writes a few tokens a second, so this keeps its answers inside timeout_s.
    max_tokens: int | None = Field(default=None, ge=1)
    # The worker process: load + one-token health check, ping silence that counts as a hang,
    # and the restart backoff (doubling from the first value up to the second).
    start_timeout_s: float = Field(default=300.0, gt=0.0)
    hang_timeout_s: float = Field(default=10.0, gt=0.0)
    restart_backoff_s: float = Field(default=0.5, ge=0.0)
    restart_backoff_max_s: float = Field(default=30.0, ge=0.0)


class OpenAISpec(BaseModel):
    """Any endpoint that speaks the OpenAI chat-completions protocol."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["openai"] = "openai"
    name: str
    base_url: str  # e.g. "http://127.0.0.1:8080/v1"
    model: str
    api_key_env: str | None = None  # name of the environment variable holding the key
    tier: int = Field(default=1, ge=0)
    price_in_per_1k: float = Field(default=0.0, ge=0.0)
    price_out_per_1k: float = Field(default=0.0, ge=0.0)
    timeout_s: float = Field(default=30.0, gt=0.0)
    temperature: float | None = None
    max_connections: int = Field(default=20, ge=1)


BackendSpec = Annotated[LlamaCppSpec | OpenAISpec, Field(discriminator="kind")]
