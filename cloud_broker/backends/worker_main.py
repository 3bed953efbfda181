"""The model worker process: one `LlamaCppBackend`, driven by the broker over its pipes.

Started by `cloud_broker.backends.worker` as
`python -m cloud_broker.backends.worker_main SPEC_JSON DATA_DIR`; the protocol is described
there. llama.cpp's own output goes to stderr: file descriptor 1 is moved aside first, so
nothing but protocol lines reaches the broker. When the broker goes away (stdin closes), the
worker exits at once, even mid-generation.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloud_broker.backends import Completion, Sampling
from cloud_broker.backends.llama_cpp import LlamaCppBackend
from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.errors import BackendError, BackendRejected

Send = Callable[[dict[str, Any]], None]


async def generate(backend: LlamaCppBackend, request: dict[str, Any], send: Send) -> None:
    """Run one generation, sending its deltas, then its token counts or its error."""
    rid = request["id"]
    sampling = Sampling.from_options(request.get("sampling") or {})
    try:
        async for item in backend.stream(request["messages"], max_tokens=request["max_tokens"],
                                         timeout=request["timeout"], tools=None,
                                         sampling=sampling):
            if isinstance(item, Completion):
                send({"id": rid, "done": [item.input_tokens, item.output_tokens]})
            else:
                send({"id": rid, "delta": item})
    except BackendRejected as exc:  # the request's fault: the broker must know it apart
        send({"id": rid, "error": str(exc), "rejected": exc.code})
    except BackendError as exc:
        send({"id": rid, "error": str(exc)})


async def probe(backend: LlamaCppBackend, request: dict[str, Any], send: Send) -> None:
    """Load the model and run it on one token; then `done`, or the error."""
    try:
        await backend.probe(request["timeout"])
        send({"id": request["id"], "done": [1, 0]})
    except BackendError as exc:
        send({"id": request["id"], "error": str(exc)})


async def serve(backend: LlamaCppBackend, out_fd: int) -> None:
    """Answer the broker's messages until stdin closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = os.fdopen(out_fd, "wb", buffering=0)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, out)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    tasks: dict[int, asyncio.Task[None]] = {}

    def send(message: dict[str, Any]) -> None:
        writer.write(json.dumps(message).encode() + b"\n")

    while line := await reader.readline():
        message = json.loads(line)
        rid = int(message["id"])
        if message["op"] == "ping":
            send({"id": rid, "pong": True})
        elif message["op"] in ("generate", "probe"):
            run = generate if message["op"] == "generate" else probe
            tasks[rid] = loop.create_task(run(backend, message, send))
            tasks[rid].add_done_callback(functools.partial(_forget, tasks, rid))
        elif message["op"] == "cancel" and (running := tasks.get(rid)) is not None:
            running.cancel()


def _forget(tasks: dict[int, asyncio.Task[None]], rid: int, _task: asyncio.Task[None]) -> None:
    tasks.pop(rid, None)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the worker process."""
    from nanogate.logging import configure_logging  # the same set-up as the broker CLI

    args = sys.argv[1:] if argv is None else argv
    configure_logging("info")  # JSON lines on stderr, beside the broker's
    spec = LlamaCppSpec.model_validate_json(args[0])
    backend = LlamaCppBackend(spec, data_dir=Path(args[1]))
    out_fd = os.dup(1)
    os.dup2(2, 1)  # C code printing to stdout would corrupt the protocol
    asyncio.run(serve(backend, out_fd))
    os._exit(0)  # do not wait for a generation still running in llama.cpp's thread


if __name__ == "__main__":
    main()
