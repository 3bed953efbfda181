"""Fixtures for the deploy tests: a fresh PostgreSQL schema for the compose replicas."""

from __future__ import annotations

from tests.support.fleet import pg_dsn

__all__ = ["pg_dsn"]
