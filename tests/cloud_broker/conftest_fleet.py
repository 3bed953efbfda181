"""Kept so that branches written before ``tests/support/`` still import; use tests.support.fleet."""

from __future__ import annotations

from tests.support.fleet import Clock, OpenStore, clock, open_store, pg_dsn, store

__all__ = ["Clock", "OpenStore", "clock", "open_store", "pg_dsn", "store"]
