"""deploy/compose.yaml started without a container engine: its broker replicas, for real.

No Docker or Kubernetes runs on a test machine, so this test plays the engine for the broker
services. What it runs: ``broker-secrets``' command, then ``broker-1`` and ``broker-2``, each
with its own command, the broker image's ENV (from broker.Dockerfile) overlaid by the
service's environment, and every volume mapped to a folder of ``tmp_path`` (a named volume
that several services mount is one folder, as Docker's is; the bind-mounted broker.toml is the
repository's file), as real processes. What it replaces, because one loopback stands in for
the container network: each listen address becomes 127.0.0.1 with a free port, and the DSN
becomes a fresh schema on the local PostgreSQL (compose's ``postgres`` service and its user
do not exist here). What does not run: the image build, Mosquitto, PostgreSQL's container and
the gateways. Then both replicas must answer the health endpoint that compose's healthcheck and
the Kubernetes probes ask, serve TLS with the one shared CA, accept the admin token from the
shared secrets volume, and see each other's writes in the one database.
"""

from __future__ import annotations

import functools
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml

from tests.support.processes import Daemon, free_port, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = ROOT / "deploy" / "docker" / "broker.Dockerfile"
REPLICAS = ("broker-1", "broker-2")
LISTEN = ("GRPC_LISTEN", "ENROL_LISTEN", "HTTP_LISTEN")


@dataclass
class Replica:
    """One broker service running as a process, and its ports on loopback."""

    name: str
    daemon: Daemon
    ports: dict[int, int]  # container port -> loopback port

    def url(self, container_url: str) -> str:
        """A URL the container would ask itself, as asked from the host."""
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)(/\S*)", container_url)
        assert match, container_url
        return f"http://127.0.0.1:{self.ports[int(match.group(1))]}{match.group(2)}"


class Engine:
    """Just enough of a container engine for the broker services of compose.yaml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        doc = yaml.safe_load(COMPOSE.read_text())  # PyYAML merges the << anchors
        self.services: dict[str, dict[str, Any]] = doc["services"]
        self.image_env = dict(re.findall(r"(NANOGATE_BROKER_\w+)=(\S+)", DOCKERFILE.read_text()))

    def mounts(self, service: str) -> list[tuple[str, Path]]:
        """(path in the container, path here) for each volume, longest container path first."""
        pairs = []
        for volume in self.services[service].get("volumes", []):
            source, target = volume.split(":")[:2]
            here = (COMPOSE.parent / source).resolve() if source.startswith(".") \
                else self.folder / "volumes" / source
            if not source.startswith("."):
                here.mkdir(parents=True, exist_ok=True)
            pairs.append((target, here))
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def translate(self, service: str, value: str) -> str:
        """A value with every container path under a mount rewritten to the host folder."""
        for target, here in self.mounts(service):
            value = re.sub(rf"(?<![\w/.-]){re.escape(target)}(?![\w.-])", str(here), value)
        return value

    def argv(self, service: str) -> list[str]:
        """The service's command, ``cloud-broker`` run by this interpreter."""
        command = [self.translate(service, arg) for arg in self.services[service]["command"]]
        assert command[0] == "cloud-broker"
        return ["-m", "cloud_broker", *command[1:]]

    def environment(self, service: str) -> dict[str, str]:
        """The image's ENV, then the service's environment, paths translated."""
        merged = {**self.image_env, **{k: str(v) for k, v in
                                       self.services[service].get("environment", {}).items()}}
        return {k: self.translate(service, v) for k, v in merged.items()}

    def run_once(self, service: str) -> None:
        """Run a one-shot service to completion; it must exit 0."""
        daemon = Daemon(self.argv(service), self.folder / f"{service}.log",
                        env=self.environment(service)).start()
        assert daemon.proc is not None
        assert daemon.proc.wait(120) == 0, (self.folder / f"{service}.log").read_text()

    def start(self, service: str, dsn: str) -> Replica:
        """Start a long-running broker service on loopback ports, on the test's PostgreSQL."""
        env = self.environment(service)
        ports: dict[int, int] = {}
        for key in LISTEN:
            var = f"NANOGATE_BROKER_SERVER__{key}"
            port = free_port()
            ports[int(env[var].rpartition(":")[2])] = port
            env[var] = f"127.0.0.1:{port}"
        assert env["NANOGATE_BROKER_STORE__DSN"].startswith("postgresql://")
        env["NANOGATE_BROKER_STORE__DSN"] = dsn
        daemon = Daemon(self.argv(service), self.folder / f"{service}.log", env=env).start()
        return Replica(service, daemon, ports)


@pytest.fixture
def replicas(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Engine, list[Replica]]]:
    """broker-secrets run once, then both broker replicas running on one PostgreSQL."""
    engine = Engine(tmp_path)
    for service in REPLICAS:
        assert engine.services[service]["depends_on"]["broker-secrets"]["condition"] == \
            "service_completed_successfully"
    engine.run_once("broker-secrets")
    started: list[Replica] = []
    try:
        for name in REPLICAS:
            started.append(engine.start(name, pg_dsn))
        yield engine, started
    finally:
        for replica in started:
            replica.daemon.stop()


def _health_url(engine: Engine, service: str) -> str:
    test = " ".join(engine.services[service]["healthcheck"]["test"])
    match = re.search(r"'(http://127\.0\.0\.1:\d+/\S*)'", test)
    assert match, test
    return match.group(1)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _tls_issuer(port: int, ca_file: Path) -> str:
    """Handshake with the Enrol listener (TLS only) trusting ``ca_file``; the issuer's CN."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        cert = tls.getpeercert()
    assert cert is not None
    issuer = cast("tuple[tuple[tuple[str, str], ...], ...]", cert["issuer"])  # RDNs, as documented
    return dict(rdn[0] for rdn in issuer)["commonName"]


def test_both_compose_replicas_start_healthy_with_tls_and_one_admin_token(
        replicas: tuple[Engine, list[Replica]]) -> None:
    """Both replicas answer the healthcheck, serve TLS from the shared CA, take the shared
    admin token (and refuse another), and see each other's writes in PostgreSQL."""
    engine, running = replicas
    for replica in running:
        url = replica.url(_health_url(engine, replica.name))
        wait_until(functools.partial(_healthy, url), timeout=180, what=f"{replica.name} healthy")
        assert httpx.get(url, timeout=5).json() == {"status": "ok"}
    volumes = engine.folder / "volumes"
    token = (volumes / "broker-secrets" / "admin_token").read_text().strip()
    issuers = {_tls_issuer(r.ports[50052], volumes / "broker-ca" / "ca.pem") for r in running}
    assert len(issuers) == 1
    first, second = (f"http://127.0.0.1:{r.ports[8080]}" for r in running)
    good, bad = {"Authorization": f"Bearer {token}"}, {"Authorization": "Bearer not-it"}
    made = httpx.post(f"{first}/api/tokens", headers=good, timeout=10,
                      json={"site": "compose-test", "tags": []})
    assert made.status_code == 200, made.text
    for base in (first, second):
        assert httpx.get(f"{base}/api/tokens", headers=bad, timeout=10).status_code == 401
        listed = httpx.get(f"{base}/api/tokens", headers=good, timeout=10)
        assert listed.status_code == 200
        assert "compose-test" in {t.get("site") for t in listed.json()}


def test_the_engine_maps_container_paths_to_the_mounted_folders(tmp_path: Path) -> None:
    """A container path under a mount becomes the host folder; other paths stay as they are."""
    engine = Engine(tmp_path)
    env = engine.environment("broker-1")
    assert env["NANOGATE_BROKER_SERVER__CA_CERT_FILE"] == str(
        tmp_path / "volumes" / "broker-secrets" / "ca.pem")
    assert env["NANOGATE_BROKER_SERVER__DATA_DIR"] == str(
        tmp_path / "volumes" / "broker-1-data")
    assert engine.argv("broker-1")[-1] == str(COMPOSE.parent / "examples" / "broker.toml")
    assert env["NANOGATE_BROKER_SERVER__TLS"] == "mtls"
    assert engine.translate("broker-1", "/etc/nanogate-secretsX/a") == "/etc/nanogate-secretsX/a"
