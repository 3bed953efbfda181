# syntax=docker/dockerfile:1
# The nanogate cloud broker. Build from the repository root:
#   docker build -f deploy/docker/broker.Dockerfile -t nanogate-broker .
# Configure with a mounted broker.toml (--config) and NANOGATE_BROKER_* variables;
# the built-in defaults run on SQLite in /var/lib/nanogate/broker, with gRPC over mTLS
# (a CA made at first start in <data_dir>/pki; gateways enrol on port 50052).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# llama-cpp-python compiles llama.cpp: the compiler stays in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY nanogate ./nanogate
COPY edge_agent ./edge_agent
COPY cloud_broker ./cloud_broker
COPY simulations ./simulations
# llama.cpp built for any x86-64 CPU, not the build host's: the same recipe as `make install`.
COPY deploy/llama/install.sh ./deploy/llama/install.sh
RUN python -m venv /opt/nanogate/venv \
    && sh deploy/llama/install.sh /opt/nanogate/venv/bin/python \
    && /opt/nanogate/venv/bin/pip install --no-cache-dir ".[broker]"

FROM ${PYTHON_IMAGE} AS runtime
# secrets/ and ca/ exist owned by the broker's user so that the named volumes compose mounts
# there start with that owner (broker-secrets writes them; see deploy/compose.yaml).
# libgomp: llama.cpp's OpenMP threads; the only native library the wheels do not bring.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 nanogate \
    && useradd --system --uid 10001 --gid nanogate --home-dir /var/lib/nanogate \
        --shell /usr/sbin/nologin nanogate \
    && mkdir -p /var/lib/nanogate/broker /var/lib/nanogate/pki /var/lib/nanogate/secrets \
        /var/lib/nanogate/ca /etc/nanogate \
    && chown -R nanogate:nanogate /var/lib/nanogate
COPY --from=builder /opt/nanogate/venv /opt/nanogate/venv
ENV PATH=/opt/nanogate/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/nanogate \
    NANOGATE_BROKER_SERVER__GRPC_LISTEN=0.0.0.0:50051 \
    NANOGATE_BROKER_SERVER__TLS=mtls \
    NANOGATE_BROKER_SERVER__ENROL_LISTEN=0.0.0.0:50052 \
    NANOGATE_BROKER_SERVER__HTTP_LISTEN=0.0.0.0:8080 \
    NANOGATE_BROKER_SERVER__DATA_DIR=/var/lib/nanogate/broker
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/nanogate
VOLUME ["/var/lib/nanogate/broker"]
EXPOSE 50051 50052 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["cloud-broker", "serve"]
