"""API keys remembered for a short TTL, and spend read back exactly by every ledger on a file."""

from __future__ import annotations

from pathlib import Path

from cloud_broker.apikeys import KEY_CACHE_TTL_S, SqliteApiKeyStore
from cloud_broker.routing.ledger import SqliteUsageLedger, UsageRecord


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_key_revoked_by_another_process_stops_within_the_ttl(tmp_path: Path) -> None:
    """A key revoked through another store on the same file is refused once the TTL passed."""
    clock = Clock()
    serving = SqliteApiKeyStore(tmp_path / "keys.sqlite", clock=clock)
    admin = SqliteApiKeyStore(tmp_path / "keys.sqlite")
    key, plaintext = admin.create("bob")
    assert serving.verify(plaintext) == key
    assert admin.revoke(key.id)
    clock.now += KEY_CACHE_TTL_S
    assert serving.verify(plaintext) is None


def test_key_revoked_through_the_same_store_stops_at_once(tmp_path: Path) -> None:
    """Revoking through the serving store forgets the remembered key without waiting."""
    keys = SqliteApiKeyStore(tmp_path / "keys.sqlite", clock=Clock())
    key, plaintext = keys.create("carol")
    assert keys.verify(plaintext) == key
    assert keys.revoke(key.id)
    assert keys.verify(plaintext) is None
    assert keys.verify("ng-not-a-key") is None


def _call(device: str, site: str, cost: float, tokens: int, ts: float = 0.0) -> UsageRecord:
    return UsageRecord("k", device, site, "b", "m", tokens, 0, cost, 1.0, "ok", ts)


def test_a_key_is_trusted_only_between_a_check_and_its_revocation(tmp_path: Path) -> None:
    """``trusted`` reads no database: nothing before a check, the key after one, nothing
    once revoked (the /v1 endpoint then checks in a thread, off the event loop)."""
    keys = SqliteApiKeyStore(tmp_path / "keys.sqlite", clock=Clock())
    key, plaintext = keys.create("app")
    assert keys.trusted(plaintext) is None
    assert keys.verify(plaintext) == key
    assert keys.trusted(plaintext) == key
    keys.revoke(key.id)
    assert keys.trusted(plaintext) is None and keys.verify(plaintext) is None


def test_spend_read_after_new_calls_matches_a_fresh_reader(tmp_path: Path) -> None:
    """Spend read after new calls equals what a fresh reader of the file sums up."""
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    ledger.record(_call("d1", "s1", 0.5, 10))
    for site, device in ((None, None), ("s1", None), (None, "d2"), ("s2", "d2")):
        ledger.spend(since=100.0, site=site, device=device)  # read before the calls below
    ledger.record(_call("d2", "s1", 0.25, 5))
    ledger.record(_call("d2", "s2", 1.0, 7))
    ledger.record(_call("d2", "s2", 9.0, 9, ts=50.0))  # before the period: not counted
    fresh = SqliteUsageLedger(tmp_path / "usage.sqlite")
    for site, device in ((None, None), ("s1", None), (None, "d2"), ("s2", "d2")):
        kept = ledger.spend(since=100.0, site=site, device=device)
        summed = fresh.spend(since=100.0, site=site, device=device)
        assert (round(kept.cost, 9), kept.tokens) == (round(summed.cost, 9), summed.tokens)
    assert ledger.spend(since=100.0).tokens == 22
