"""Enrolment tokens and the rules an enrolment must pass, in the fleet database.

An enrolment turns a token into a gateway identity, so it is where a fleet is taken over if
anything is loose. The rules (issue 13.1, 13.9, 21.5):

- a gateway id is ``^[a-z0-9][a-z0-9._-]{0,62}$`` and not one of the names the system uses
  (the MQTT uplink's ``enrol`` subtree, ``admin``, ``bootstrap``...);
- an id that is already enrolled is refused, unless the token was bound to that id by an
  operator, or the request carries the gateway's current credential; a revoked id is refused;
- a token for one site never files a gateway configured for another;
- tokens from the config are synced at start: one removed from the config stops working;
  reusable tokens expire; any token can be listed and revoked.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cloud_broker.errors import InvalidRequest, Unauthenticated
from cloud_broker.fleet.database import Database, Row

DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
# Names the broker's topics, roles and tokens use: a gateway may not take them.
RESERVED_IDS = frozenset({
    "enrol", "admin", "bootstrap", "broker", "cloud", "nanogate", "system", "root", "all",
    "any", "none", "null", "localhost", "metrics", "api", "share",
})
REUSABLE_TTL_S = 30 * 86400.0  # a reusable token without a TTL of its own expires after this
TOKEN_ID_CHARS = 12  # a token is named by this many hex digits of its hash


def hash_secret(secret: str) -> str:
    """How secrets are stored: never in clear."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_device_id(device_id: str) -> str:
    """The id itself if a gateway may use it; ``InvalidRequest`` saying why otherwise."""
    if not DEVICE_ID.fullmatch(device_id):
        raise InvalidRequest(
            f"gateway id {device_id[:64]!r} is not allowed: use 1 to 63 lowercase letters, "
            "digits, '.', '_' or '-', starting with a letter or digit")
    if device_id in RESERVED_IDS:
        raise InvalidRequest(f"gateway id {device_id!r} is reserved by the broker; pick another")
    return device_id


class TokenSpec(Protocol):
    """An enrolment token as the config writes it."""

    @property
    def token(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def reusable(self) -> bool: ...
    @property
    def ttl_s(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class EnrolToken:
    """An enrolment token as listed: never its secret."""

    id: str  # the first TOKEN_ID_CHARS hex digits of its hash
    site: str
    tags: tuple[str, ...]
    reusable: bool
    created: float
    expires: float | None
    used_by: str | None
    device_id: str | None  # the one gateway id it may enrol (re-enrol), if bound
    source: str  # "config" or "api"
    revoked: float | None


class EnrolTokens:
    """Enrolment tokens in the fleet database: create, sync with the config, list, revoke."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, *, site: str, tags: list[str], now: float, reusable: bool = False,
               token: str | None = None, ttl_s: float | None = None,
               device_id: str | None = None, source: str = "api") -> str:
        """Create a token (or register a given one); returns it in clear once."""
        if device_id is not None:
            check_device_id(device_id)
        token = token or "nge_" + secrets.token_urlsafe(24)
        if reusable and ttl_s is None:
            ttl_s = REUSABLE_TTL_S
        digest = hash_secret(token)
        existing = self._db.one("SELECT created FROM enrol_tokens WHERE token_hash = :digest",
                                {"digest": digest})
        created = existing["created"] if existing else now  # a TTL runs from the first start
        self._db.execute(
            "INSERT INTO enrol_tokens (token_hash, site, tags, reusable, created, expires, "
            "device_id, source) VALUES (:digest, :site, :tags, :reusable, :created, :expires, "
            ":device_id, :source) ON CONFLICT (token_hash) DO "
            "UPDATE SET site = excluded.site, tags = excluded.tags, reusable = excluded.reusable, "
            "expires = excluded.expires, device_id = excluded.device_id, source = excluded.source",
            {"digest": digest, "site": site, "tags": json.dumps(tags), "reusable": int(reusable),
             "created": created, "expires": created + ttl_s if ttl_s else None,
             "device_id": device_id, "source": source})
        return token

    def sync(self, specs: Sequence[TokenSpec], now: float) -> int:
        """Make the config's tokens the only config tokens; returns how many were withdrawn."""
        keep = {hash_secret(s.token) for s in specs}
        for spec in specs:
            self.create(site=spec.site, tags=spec.tags, reusable=spec.reusable, token=spec.token,
                        ttl_s=spec.ttl_s, now=now, source="config")
        rows = self._db.all("SELECT token_hash FROM enrol_tokens WHERE source = 'config' AND "
                            "revoked IS NULL")
        gone = [r["token_hash"] for r in rows if r["token_hash"] not in keep]
        for digest in gone:
            self._db.execute("UPDATE enrol_tokens SET revoked = :now WHERE token_hash = :digest",
                             {"now": now, "digest": digest})
        return len(gone)

    def tokens(self) -> list[EnrolToken]:
        """Every token, newest first."""
        return [_token(r) for r in self._db.all(
            "SELECT * FROM enrol_tokens ORDER BY created DESC, token_hash")]

    def revoke(self, token_id: str, now: float) -> EnrolToken | None:
        """Revoke a live token named by its id (or a longer prefix of its hash); or None."""
        if len(token_id) < TOKEN_ID_CHARS or not re.fullmatch(r"[0-9a-f]+", token_id):
            return None
        with self._db.transaction():
            row = self._db.one("SELECT * FROM enrol_tokens WHERE token_hash LIKE :prefix AND "
                               "revoked IS NULL" + self._db.dialect.lock_row,
                               {"prefix": token_id + "%"})
            if row is None:
                return None
            self._db.execute("UPDATE enrol_tokens SET revoked = :now WHERE token_hash = :digest",
                             {"now": now, "digest": row["token_hash"]})
        return _token({**row, "revoked": now})

    def take(self, token: str, now: float) -> Row:
        """The usable token's row, locked for this transaction; ``Unauthenticated`` if none."""
        row = self._db.one("SELECT * FROM enrol_tokens WHERE token_hash = :digest"
                           + self._db.dialect.lock_row, {"digest": hash_secret(token)})
        if row is None:
            raise Unauthenticated("unknown enrolment token; ask an operator for a new one")
        if row["revoked"] is not None:
            raise Unauthenticated("this enrolment token was revoked; ask an operator for a new one")
        if row["used_by"] and not row["reusable"]:
            raise Unauthenticated("this enrolment token was already used; tokens work once")
        if row["expires"] is not None and row["expires"] < now:
            raise Unauthenticated("this enrolment token has expired; ask an operator for a new one")
        return row


def enrolled_site(token: Row, site: str) -> str:
    """The site to file the gateway under; refuses a token for another site (issue 21.5)."""
    if token["site"] and site and site != token["site"]:
        raise Unauthenticated(
            f"this enrolment token is for site {token['site']!r}, but the gateway is configured "
            f"for site {site!r}: ask for a token for site {site!r}, or set [gateway] site = "
            f"{token['site']!r}")
    return str(token["site"] or site)


def chosen_id(token: Row, requested_id: str) -> str:
    """The gateway id to enrol: the requested one, checked against the token's binding."""
    bound = token["device_id"]
    device_id = check_device_id(requested_id or bound or "gw-" + secrets.token_hex(4))
    if bound and bound != device_id:
        raise Unauthenticated(f"this enrolment token is for gateway {bound!r} only")
    return device_id


def check_reenrol(token: Row, existing: Row, credential: str) -> None:
    """Refuse to enrol over a known gateway unless an operator or the gateway itself allows it."""
    device_id = existing["id"]
    if existing["revoked"]:
        raise Unauthenticated(f"gateway {device_id!r} was revoked; it cannot enrol again "
                              "under that id")
    if token["device_id"] == device_id:
        return  # an operator bound this token to the gateway: re-enrolment was asked for
    if credential and hash_secret(credential) == existing["credential_hash"]:
        return
    raise Unauthenticated(
        f"gateway {device_id!r} is already enrolled: re-enrol it with its current credential, "
        f"or ask an operator for a token bound to {device_id!r}")


def _token(row: Row) -> EnrolToken:
    return EnrolToken(
        id=row["token_hash"][:TOKEN_ID_CHARS], site=row["site"],
        tags=tuple(json.loads(row["tags"])), reusable=bool(row["reusable"]),
        created=row["created"], expires=row["expires"], used_by=row["used_by"],
        device_id=row["device_id"], source=row["source"] or "api", revoked=row["revoked"])
