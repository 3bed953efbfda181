"""The processes the fleet bench and simulator run against, each in its own process.

``Broker``: the real ``cloud-broker serve`` on a SQLite store, with a priced OpenAI-compatible
backend. ``FakeCloud``: that backend, a fake (no paid API can run here) that answers after a
set latency. ``EchoServer``: the baseline, a raw grpc.aio server with one generic handler for
the ``EdgeLink`` methods and in-memory state. ``ProcessMeter`` reads CPU and RSS from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulations.harness import Daemon, free_port, wait_for_port, write_toml

ADMIN_TOKEN = "fleet-sim-admin-token"
ENROL_TOKEN = "fleet-sim-enrol-token"
PRICE_IN_PER_1K = 0.0005  # dollars, a small hosted model's list price
PRICE_OUT_PER_1K = 0.0015
SERVICE = "nanogate.v1.EdgeLink"
_TICKS = os.sysconf("SC_CLK_TCK")

BROKER_TOML = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "{admin}"

[[enrol_tokens]]
token = "{enrol}"
site = "sim"
tags = ["sim"]
reusable = true

[[backends]]
kind = "openai"
name = "fake-cloud"
base_url = "{cloud_url}"
model = "fake-large"
tier = 0
timeout_s = 15
max_connections = 64
price_in_per_1k = {price_in}
price_out_per_1k = {price_out}

[routing]
retries = 0
"""


@dataclass(frozen=True)
class ProcessMeter:
    """CPU seconds and resident memory of one process, from /proc."""

    pid: int

    def cpu_s(self) -> float:
        """User plus system CPU seconds used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def rss_mb(self) -> float:
        """Resident set size in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@dataclass
class FakeCloud:
    """An OpenAI-compatible fake in its own process, answering after ``latency_ms``."""

    latency_ms: float = 0.0
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""

    def start(self) -> FakeCloud:
        """Listen on a free loopback port; the child serves on the inherited socket."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.listen(512)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulations.stack", "--cloud-fd", str(sock.fileno()),
             str(self.latency_ms)], pass_fds=[sock.fileno()])
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        sock.close()
        return self

    def stop(self) -> None:
        """Stop the child."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@dataclass
class Broker:
    """A real ``cloud-broker serve`` process with its own data dir and free ports."""

    folder: Path
    cloud_url: str
    grpc_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    daemon: Daemon | None = None
    extra_toml: str = ""  # more config sections (the learning loop's, say)

    def start(self) -> Broker:
        """Write the config, start the broker and wait for both ports."""
        self.folder.mkdir(parents=True, exist_ok=True)
        config = write_toml(self.folder / "broker.toml", BROKER_TOML.format(
            grpc_port=self.grpc_port, http_port=self.http_port, data=self.folder / "data",
            admin=ADMIN_TOKEN, enrol=ENROL_TOKEN, cloud_url=self.cloud_url,
            price_in=PRICE_IN_PER_1K, price_out=PRICE_OUT_PER_1K) + self.extra_toml)
        self.daemon = Daemon(["-m", "cloud_broker", "serve", "--config", str(config),
                              "--log-level", "warning"], self.folder / "broker.log",
                             env={"GRPC_VERBOSITY": "ERROR"}).start()
        wait_for_port(self.grpc_port, timeout=60)
        wait_for_port(self.http_port, timeout=60)
        return self

    @property
    def meter(self) -> ProcessMeter:
        """CPU and memory of the broker process."""
        assert self.daemon is not None and self.daemon.proc is not None
        return ProcessMeter(self.daemon.proc.pid)

    async def send_command(self, tag: str, name: str = "ping") -> int:
        """``POST /api/commands`` for every gateway with the tag; returns how many."""
        async with httpx.AsyncClient(timeout=60) as client:
            reply = await client.post(
                f"http://127.0.0.1:{self.http_port}/api/commands",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                json={"tag": tag, "name": name, "ttl_s": 600})
            reply.raise_for_status()
            return len(reply.json()["commands"])

    def gateways(self) -> list[dict[str, Any]]:
        """``GET /api/gateways``."""
        reply = httpx.get(f"http://127.0.0.1:{self.http_port}/api/gateways", timeout=30,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        reply.raise_for_status()
        return list(reply.json())

    def stop(self) -> None:
        """SIGTERM the broker."""
        if self.daemon is not None:
            self.daemon.stop()


@dataclass
class EchoServer:
    """The baseline: a raw grpc.aio server in its own process, one generic unary handler."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> EchoServer:
        """Start the child and wait for its port."""
        self.proc = subprocess.Popen([sys.executable, "-m", "simulations.stack", "--echo",
                                      str(self.port)], env={**os.environ,
                                                            "GRPC_VERBOSITY": "ERROR"})
        wait_for_port(self.port, timeout=30)
        return self

    @property
    def meter(self) -> ProcessMeter:
        """CPU and memory of the echo process."""
        assert self.proc is not None
        return ProcessMeter(self.proc.pid)

    async def send_command(self, tag: str, name: str = "ping") -> int:
        """Arm one command for every gateway seen so far; returns how many."""
        import grpc

        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            arm = channel.unary_unary(f"/{SERVICE}/Arm", None, None)
            reply = await arm(name.encode(), timeout=10)
        return int(reply)

    def stop(self) -> None:
        """Stop the child."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


async def _serve_echo(port: int) -> None:
    """Child process: the EdgeLink methods answered from memory, as cheaply as gRPC allows."""
    import grpc

    from nanogate.v1 import edge_pb2 as pb

    pending: dict[str, str] = {}  # credential -> command id waiting for it
    seen: set[str] = set()

    def caller(context: Any) -> str:
        meta = dict(context.invocation_metadata() or ())
        return str(meta.get("authorization", "")).removeprefix("Bearer ")

    async def enrol(raw: bytes, context: Any) -> bytes:
        wanted = pb.EnrolRequest.FromString(raw).requested_id or uuid.uuid4().hex[:8]
        seen.add(wanted)
        return pb.EnrolResponse(device_id=wanted, credential=wanted, site="sim",
                                tags=["sim"]).SerializeToString()

    async def heartbeat(raw: bytes, context: Any) -> bytes:
        waiting = int(caller(context) in pending)
        return pb.HeartbeatResponse(pending_commands=waiting,
                                    server_time=time.time()).SerializeToString()

    async def pull(raw: bytes, context: Any) -> bytes:
        command = pending.get(caller(context))
        found = [pb.Command(id=command, name="ping", args_json="{}")] if command else []
        return pb.PullCommandsResponse(commands=found).SerializeToString()

    async def ack(raw: bytes, context: Any) -> bytes:
        done = pending.pop(caller(context), None) == pb.CommandAck.FromString(raw).command_id
        return pb.AckResponse(recorded=done).SerializeToString()

    async def arm(raw: bytes, context: Any) -> bytes:
        pending.update({device: f"cmd-{uuid.uuid4().hex[:12]}" for device in seen})
        return str(len(seen)).encode()

    answer = pb.EscalateResponse(answer="echo", backend="echo").SerializeToString()

    async def escalate(raw: bytes, context: Any) -> bytes:
        return answer

    # async handlers: grpc.aio runs plain functions in a thread pool, which would be slower
    methods = {"Enrol": enrol, "Heartbeat": heartbeat, "PullCommands": pull,
               "AckCommand": ack, "Arm": arm, "Escalate": escalate}
    handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in methods.items()}
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def _serve_cloud(fd: int, latency_ms: float) -> None:
    """Child process: an OpenAI-compatible chat endpoint that answers after a delay."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def chat(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        words = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        await asyncio.sleep(latency_ms / 1000 * (0.5 + os.urandom(1)[0] / 255))
        text = "Based on the readings, zone 3 is within its normal range; no action needed."
        return JSONResponse({
            "id": "fake", "object": "chat.completion", "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": int(words * 1.3) + 20, "completion_tokens": 60}})

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    uvicorn.run(app, fd=fd, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--echo"]:
        asyncio.run(_serve_echo(int(sys.argv[2])))
    elif sys.argv[1:2] == ["--cloud-fd"]:
        _serve_cloud(int(sys.argv[2]), float(sys.argv[3]))
