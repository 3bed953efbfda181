"""Which client certificate each gateway may present: one current serial per device.

Kept in the fleet database, so every broker replica refuses a replaced certificate at once:
enrolling again or renewing records the new serial, and the old one stops working.
"""

from __future__ import annotations

from collections.abc import Callable

from cloud_broker.errors import Unauthenticated
from cloud_broker.fleet.database import Database


class DeviceCertificates:
    """The current certificate serial of each gateway, in the fleet database."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock

    def record(self, device_id: str, serial: str, not_after: float) -> None:
        """Make ``serial`` the device's only valid certificate."""
        self._db.execute(
            "INSERT INTO device_certificates (device_id, serial, not_after, issued) "
            "VALUES (:device_id, :serial, :not_after, :issued) ON CONFLICT (device_id) DO UPDATE "
            "SET serial = excluded.serial, not_after = excluded.not_after, "
            "issued = excluded.issued",
            {"device_id": device_id, "serial": serial, "not_after": not_after,
             "issued": self._clock()})

    def forget(self, device_id: str) -> None:
        """The device has no valid certificate any more."""
        self._db.execute("DELETE FROM device_certificates WHERE device_id = :device_id",
                         {"device_id": device_id})

    def current(self, device_id: str) -> str | None:
        """The serial the device may present, or None."""
        row = self._db.one("SELECT serial FROM device_certificates WHERE device_id = :device_id",
                           {"device_id": device_id})
        return str(row["serial"]) if row else None

    def check(self, device_id: str, serial: str) -> None:
        """Unauthenticated unless ``serial`` is the device's current certificate."""
        if self.current(device_id) != serial:
            raise Unauthenticated(
                f"certificate {serial[:16]} of {device_id} was replaced or withdrawn; "
                "renew it, or enrol the gateway again")
