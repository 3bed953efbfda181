# syntax=docker/dockerfile:1
# The nanogate edge agent, for simulated gateways and gateways that run containers.
# Build from the repository root:
#   docker build -f deploy/docker/edge.Dockerfile -t nanogate-edge .
# Configure with a mounted edge.toml (--config) and NANOGATE_EDGE_* variables.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
WORKDIR /src
COPY pyproject.toml README.md ./
COPY nanogate ./nanogate
COPY edge_agent ./edge_agent
COPY cloud_broker ./cloud_broker
COPY simulations ./simulations
# The base package only: what a gateway needs, without the broker's extra.
RUN python -m venv /opt/nanogate/venv \
    && /opt/nanogate/venv/bin/pip install --no-cache-dir .

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 nanogate \
    && useradd --system --uid 10001 --gid nanogate --home-dir /var/lib/nanogate \
        --shell /usr/sbin/nologin nanogate \
    && mkdir -p /var/lib/nanogate/edge /etc/nanogate \
    && chown -R nanogate:nanogate /var/lib/nanogate
COPY --from=builder /opt/nanogate/venv /opt/nanogate/venv
ENV PATH=/opt/nanogate/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/nanogate
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/nanogate
VOLUME ["/var/lib/nanogate/edge"]
# Offline is normal for a gateway, so health is local: config valid, outbox readable.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["edge-agent", "--log-level", "error", "outbox", "--data-dir", "/var/lib/nanogate/edge", "status"]
CMD ["edge-agent", "run", "--data-dir", "/var/lib/nanogate/edge"]
