"""Staged rollouts of artefacts: waves, health gates, automatic rollback, a hard deadline.

A rollout sends a ``rollout`` command to each gateway of a wave, waits for their acks, then
soaks: the wave's heartbeats must pass the gate (``waves.judge``) for ``soak_s``. A failed
ack or gate queues ``rollback`` commands for that wave and ends the rollout ``rolled_back``.
Every rollout ends ``succeeded``, ``rolled_back`` or ``failed`` by its deadline.

``RolloutController.tick(now)`` does all of it from the store's state, so any replica may
run it: a lease on the rollout's row lets one replica at a time advance a rollout.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from typing import Any

import structlog

from cloud_broker.fleet.artefacts import Artefact, ArtefactStore
from cloud_broker.fleet.signing import Manifest
from cloud_broker.fleet.store import FleetStore
from cloud_broker.fleet.waves import (
    Rollout,
    RolloutSpec,
    RolloutStatus,
    Target,
    Wave,
    baseline,
    judge,
    plan_waves,
    reported_version,
    rollout_from_row,
    target_from_row,
    wave_from_row,
)

log = structlog.get_logger("cloud_broker.fleet.rollouts")

ACTIVE = ("running", "paused")
FINAL = ("succeeded", "rolled_back", "failed")
_ACTIVE_SQL = "state IN ('running', 'paused')"


class RolloutController:
    """Creates rollouts and advances them; safe on several replicas at once."""

    def __init__(self, store: FleetStore, artefacts: ArtefactStore, *, replica: str = "",
                 lease_s: float = 60.0, rollback_ttl_s: float = 7 * 86400.0) -> None:
        self._store = store
        self._db = store.db
        self._artefacts = artefacts
        self._replica = replica or "replica-" + secrets.token_hex(4)
        self._lease_s = lease_s
        self._rollback_ttl_s = rollback_ttl_s

    # operator actions ---------------------------------------------------------------------

    def create(self, spec: RolloutSpec, now: float) -> RolloutStatus:
        """Start a rollout (ValueError if the artefact or a device is unknown)."""
        artefact = self._artefacts.get(spec.artefact, spec.version)
        if artefact is None:
            raise ValueError(f"no artefact {spec.artefact} {spec.version}; upload it first")
        waves = plan_waves(self._targets(spec), spec.waves)
        rollout_id = "ro-" + secrets.token_hex(5)
        target = {"tag": spec.tag} if spec.tag else {"devices": spec.devices}
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO rollouts (id, artefact_name, artefact_version, kind, target_json, "
                "state, soak_s, gate_json, created, deadline, updated, current_wave) "
                "VALUES (:id, :name, :version, :kind, :target, 'running', :soak_s, :gate, "
                ":now, :deadline, :now, 0)",
                {"id": rollout_id, "name": artefact.name, "version": artefact.version,
                 "kind": artefact.kind, "target": json.dumps(target), "soak_s": spec.soak_s,
                 "gate": spec.gate.model_dump_json(), "now": now,
                 "deadline": now + spec.deadline_s})
            for idx, devices in enumerate(waves):
                self._db.execute("INSERT INTO rollout_waves (rollout_id, idx, state) "
                                 "VALUES (:id, :idx, 'waiting')", {"id": rollout_id, "idx": idx})
                for device in devices:
                    self._db.execute("INSERT INTO rollout_targets (rollout_id, device_id, wave, "
                                     "state) VALUES (:id, :device_id, :wave, 'waiting')",
                                     {"id": rollout_id, "device_id": device, "wave": idx})
        log.info("rollout.created", rollout_id=rollout_id, artefact=artefact.name,
                 version=artefact.version, waves=[len(w) for w in waves])
        return self.status(rollout_id)

    def _targets(self, spec: RolloutSpec) -> list[str]:
        if spec.tag:
            found = [g.id for g in self._store.gateways() if spec.tag in g.tags and not g.revoked]
            if not found:
                raise ValueError(f"no gateway has the tag {spec.tag!r}")
            return found
        devices = sorted(set(spec.devices or []))
        for device in devices:
            gateway = self._store.gateway(device)
            if gateway is None or gateway.revoked:
                raise ValueError(f"no enrolled gateway {device!r}")
        return devices

    def status(self, rollout_id: str) -> RolloutStatus:
        """A rollout, its waves and its targets (KeyError if unknown)."""
        row = self._db.one("SELECT * FROM rollouts WHERE id = :id", {"id": rollout_id})
        if row is None:
            raise KeyError(f"no rollout {rollout_id!r}")
        waves = self._db.all("SELECT * FROM rollout_waves WHERE rollout_id = :id ORDER BY idx",
                             {"id": rollout_id})
        targets = self._db.all("SELECT * FROM rollout_targets WHERE rollout_id = :id "
                               "ORDER BY wave, device_id", {"id": rollout_id})
        return RolloutStatus(rollout_from_row(row), tuple(wave_from_row(w) for w in waves),
                             tuple(target_from_row(t) for t in targets))

    def rollouts(self) -> list[Rollout]:
        """Every rollout, newest first."""
        rows = self._db.all("SELECT * FROM rollouts ORDER BY created DESC")
        return [rollout_from_row(r) for r in rows]

    def pause(self, rollout_id: str, now: float) -> RolloutStatus:
        """Hold a running rollout where it is (its deadline still runs)."""
        self._set_state(rollout_id, "paused", ("running",), "paused by operator", now)
        return self.status(rollout_id)

    def resume(self, rollout_id: str, now: float) -> RolloutStatus:
        """Let a paused rollout go on."""
        self._set_state(rollout_id, "running", ("paused",), "", now)
        return self.status(rollout_id)

    def abort(self, rollout_id: str, now: float, reason: str = "aborted by operator"
              ) -> RolloutStatus:
        """Stop a rollout and roll back every gateway it reached (at once, or at next tick)."""
        self.status(rollout_id)
        self._db.execute(f"UPDATE rollouts SET abort_requested = :reason WHERE id = :id AND "
                         f"{_ACTIVE_SQL}", {"reason": reason, "id": rollout_id})
        log.info("rollout.abort_requested", rollout_id=rollout_id, reason=reason)
        self._tick_one(rollout_id, now)
        return self.status(rollout_id)

    def revert(self, rollout_id: str, now: float, reason: str) -> RolloutStatus:
        """Roll back every gateway a rollout reached, even after it succeeded (an A/B test's
        cohort that installed the candidate before the test was judged); an active rollout
        is aborted."""
        status = self.status(rollout_id)
        if status.rollout.state != "succeeded":
            return self.abort(rollout_id, now, reason)
        with self._db.transaction():
            for t in status.targets:
                if t.state == "installed":
                    self._roll_back_target(status.rollout, t)
            reverted = self._set_state(rollout_id, "rolled_back", ("succeeded",), reason, now)
        if reverted:
            log.info("rollout.reverted", rollout_id=rollout_id, reason=reason)
        return self.status(rollout_id)

    # the engine ---------------------------------------------------------------------------

    def tick(self, now: float) -> list[str]:
        """Advance every active rollout this replica can lease; returns their ids."""
        rows = self._db.all(f"SELECT id FROM rollouts WHERE {_ACTIVE_SQL} ORDER BY created")
        return [r["id"] for r in rows if self._tick_one(r["id"], now)]

    async def run(self, interval_s: float = 5.0) -> None:
        """Tick every ``interval_s`` until cancelled; a failed tick is logged and retried."""
        while True:
            try:
                await asyncio.to_thread(self.tick, self._store.now())
            except Exception:  # the database may be briefly away; the next tick retries
                log.exception("rollout.tick_failed", replica=self._replica)
            await asyncio.sleep(interval_s)

    def _tick_one(self, rollout_id: str, now: float) -> bool:
        if not self._lease(rollout_id, now):
            return False
        try:
            for _ in range(64):  # a few waves may pass in one tick; never loop forever
                if not self._advance(rollout_id, now):
                    break
        finally:
            self._db.execute("UPDATE rollouts SET lease_owner = NULL, lease_until = NULL "
                             "WHERE id = :id AND lease_owner = :replica",
                             {"id": rollout_id, "replica": self._replica})
        return True

    def _lease(self, rollout_id: str, now: float) -> bool:
        """Take the rollout's lease: free, ours, or run out (its holder died mid-tick)."""
        params = {"replica": self._replica, "lease_until": now + self._lease_s,
                  "id": rollout_id, "now": now}
        take = ("UPDATE rollouts SET lease_owner = :replica, lease_until = :lease_until "
                f"WHERE id = :id AND {_ACTIVE_SQL} AND ")
        if self._db.execute(take + "(lease_owner IS NULL OR lease_owner = :replica)",
                            params) == 1:
            return True
        row = self._db.one("SELECT lease_owner, lease_until FROM rollouts WHERE id = :id "
                           "AND lease_until < :now", params)
        if row is None or self._db.execute(
                take + "lease_owner = :owner AND lease_until < :now",
                {**params, "owner": row["lease_owner"]}) != 1:
            return False
        log.warning("rollout.taken_over", rollout_id=rollout_id, replica=self._replica,
                    previous_owner=row["lease_owner"], lease_ran_out=row["lease_until"])
        return True

    def _advance(self, rollout_id: str, now: float) -> bool:
        """One step; True if another step may follow at once."""
        row = self._db.one("SELECT * FROM rollouts WHERE id = :id", {"id": rollout_id})
        if row is None or row["state"] not in ACTIVE:
            return False
        status = self.status(rollout_id)
        if row["abort_requested"]:
            self._roll_back(status, status.targets, now, "rolled_back", row["abort_requested"])
            return False
        if now >= status.rollout.deadline:
            self._roll_back(status, status.wave_targets(status.rollout.current_wave), now,
                            "failed", _deadline_reason(status))
            return False
        if status.rollout.state == "paused":
            return False
        wave = status.waves[status.rollout.current_wave]
        if wave.state == "waiting":
            return self._start_wave(status, wave, now)
        if wave.state == "deploying":
            return self._check_acks(status, wave, now)
        return self._check_gate(status, wave, now)

    def _start_wave(self, status: RolloutStatus, wave: Wave, now: float) -> bool:
        r = status.rollout
        artefact = self._artefacts.get(r.artefact, r.version)
        assert artefact is not None  # artefacts are never deleted
        with self._db.transaction():
            for t in status.wave_targets(wave.idx):
                gateway = self._store.gateway(t.device_id)
                previous = "" if gateway is None else reported_version(gateway, r.kind)
                command_id = self._store.add_command(
                    t.device_id, "rollout",
                    json.dumps(rollout_args(r.id, artefact, t.device_id, self._artefacts)),
                    ttl_s=r.deadline - now)
                self._db.execute(
                    "UPDATE rollout_targets SET state = 'sent', command_id = :command_id, "
                    "previous_version = :previous, baseline_json = :baseline WHERE "
                    "rollout_id = :id AND device_id = :device_id",
                    {"command_id": command_id, "previous": previous,
                     "baseline": json.dumps(baseline(gateway) if gateway else {}),
                     "id": r.id, "device_id": t.device_id})
            self._set_wave(r.id, wave.idx, "deploying", now, started=now)
        log.info("rollout.wave_started", rollout_id=r.id, wave=wave.idx,
                 devices=[t.device_id for t in status.wave_targets(wave.idx)])
        return False

    def _check_acks(self, status: RolloutStatus, wave: Wave, now: float) -> bool:
        r = status.rollout
        waiting = 0
        for t in status.wave_targets(wave.idx):
            command = self._store.command(t.command_id) if t.command_id else None
            if t.state != "sent" or command is None or command.state != "acked":
                waiting += t.state == "sent"
                continue
            result = json.loads(command.result_json or "{}")
            if not command.ok:
                detail = str(result.get("error", "the gateway reported a failure"))
                self._set_target(r.id, t.device_id, state="failed", detail=detail)
                fresh = self.status(r.id)
                self._roll_back(fresh, fresh.wave_targets(wave.idx), now, "rolled_back",
                                f"{t.device_id}: {detail}")
                return False
            self._set_target(r.id, t.device_id, state="installed",
                             installed_at=command.acked_at or now)
        if waiting:
            return False
        self._set_wave(r.id, wave.idx, "soaking", now, soak_until=now + r.soak_s)
        log.info("rollout.wave_installed", rollout_id=r.id, wave=wave.idx)
        return True

    def _check_gate(self, status: RolloutStatus, wave: Wave, now: float) -> bool:
        r = status.rollout
        targets = status.wave_targets(wave.idx)
        soak_until = wave.soak_until or now
        fresh = True
        for t in targets:
            gateway = self._store.gateway(t.device_id)
            verdict = judge(r.gate, gateway, base=t.baseline, kind=r.kind, version=r.version,
                            installed_at=t.installed_at or now, now=now)
            if verdict.outcome == "fail":
                self._roll_back(status, targets, now, "rolled_back",
                                f"gate failed on {t.device_id}: {verdict.detail}")
                return False
            fresh = fresh and gateway is not None and (gateway.last_seen or 0.0) >= soak_until
        if now < soak_until or not fresh:  # the gate must see a heartbeat after the soak
            return False
        self._set_wave(r.id, wave.idx, "passed", now, finished=now)
        log.info("rollout.wave_passed", rollout_id=r.id, wave=wave.idx)
        if wave.idx + 1 >= len(status.waves):
            self._finish(r.id, "succeeded", f"{len(status.targets)} gateways on {r.version}", now)
            return False
        self._db.execute("UPDATE rollouts SET current_wave = :wave, updated = :now "
                         "WHERE id = :id", {"wave": wave.idx + 1, "now": now, "id": r.id})
        return True

    def _roll_back(self, status: RolloutStatus, targets: Sequence[Target], now: float,
                   final: str, reason: str) -> None:
        """Roll back ``targets`` and end the rollout; a wave ends ``rolled_back`` if touched."""
        r = status.rollout
        touched = {t.wave for t in targets}
        with self._db.transaction():
            for t in targets:
                if t.state in ("sent", "installed", "failed"):
                    self._roll_back_target(r, t)
            for wave in status.waves:
                if wave.idx in touched and wave.state != "waiting":
                    self._set_wave(r.id, wave.idx, "rolled_back", now, finished=now)
            self._finish(r.id, final, reason, now)

    def _roll_back_target(self, r: Rollout, t: Target) -> None:
        if t.state == "sent" and t.command_id and self._store.cancel_command(t.command_id):
            self._set_target(r.id, t.device_id, state="cancelled")  # it never left the broker
            return
        if t.command_id and t.state == "sent":
            self._store.cancel_command(t.command_id)  # handed out: stop any redelivery
        args = {"rollout_id": r.id, "kind": r.kind, "name": r.artefact, "version": r.version,
                "to_version": t.previous_version}
        command_id = self._store.add_command(t.device_id, "rollback", json.dumps(args),
                                             ttl_s=self._rollback_ttl_s)
        self._set_target(r.id, t.device_id, state="rolled_back", rollback_command_id=command_id)

    def _finish(self, rollout_id: str, state: str, reason: str, now: float) -> None:
        if self._set_state(rollout_id, state, ACTIVE, reason, now):
            log.info(f"rollout.{state}", rollout_id=rollout_id, reason=reason)

    # rows ---------------------------------------------------------------------------------

    def _set_state(self, rollout_id: str, state: str, from_states: tuple[str, ...],
                   reason: str, now: float) -> bool:
        marks = ", ".join(f":from_{i}" for i in range(len(from_states)))
        changed = self._db.execute(
            "UPDATE rollouts SET state = :state, reason = :reason, updated = :now WHERE id = :id "
            f"AND state IN ({marks})",
            {"state": state, "reason": reason, "now": now, "id": rollout_id,
             **{f"from_{i}": s for i, s in enumerate(from_states)}})
        if changed and state in ("paused", "running"):
            log.info("rollout.paused" if state == "paused" else "rollout.resumed",
                     rollout_id=rollout_id)
        return changed > 0

    def _set_wave(self, rollout_id: str, idx: int, state: str, now: float,
                  **times: float) -> None:
        sets = "".join(f", {name} = :{name}" for name in times)
        self._db.execute(f"UPDATE rollout_waves SET state = :state{sets} WHERE "
                         "rollout_id = :rollout_id AND idx = :idx",
                         {"state": state, **times, "rollout_id": rollout_id, "idx": idx})
        self._db.execute("UPDATE rollouts SET updated = :now WHERE id = :id",
                         {"now": now, "id": rollout_id})

    def _set_target(self, rollout_id: str, device_id: str, **values: Any) -> None:
        sets = ", ".join(f"{name} = :{name}" for name in values)
        self._db.execute(f"UPDATE rollout_targets SET {sets} WHERE rollout_id = :rollout_id "
                         "AND device_id = :device_id",
                         {**values, "rollout_id": rollout_id, "device_id": device_id})


def rollout_args(rollout_id: str, a: Artefact, target: str,
                 signer: ArtefactStore) -> dict[str, Any]:
    """The ``rollout`` command's arguments: what to fetch, and the signed manifest to check."""
    manifest = Manifest(kind=a.kind, name=a.name, version=a.version, seq=a.seq, target=target,
                        sha256=a.sha256, rollout_id=rollout_id, trust=a.trust)
    return {"rollout_id": rollout_id, "kind": a.kind, "name": a.name, "version": a.version,
            "sha256": a.sha256, "signature": a.signature, "key_id": a.key_id, "size": a.size,
            "seq": a.seq, "target": target, "trust": a.trust,
            "manifest_signature": signer.sign_manifest(manifest), "fetch": "FetchArtefact"}


def _deadline_reason(status: RolloutStatus) -> str:
    r = status.rollout
    targets = status.wave_targets(r.current_wave)
    silent = [t.device_id for t in targets if t.state == "sent"]
    if silent:
        return f"deadline passed; no acknowledgement from {', '.join(silent)}"
    if r.state == "paused":
        return "deadline passed while paused"
    unproven = [t.device_id for t in targets if t.state == "installed"]
    return (f"deadline passed in wave {r.current_wave} before the gate saw "
            f"{', '.join(unproven) or 'every gateway'} healthy")


def status_json(status: RolloutStatus) -> dict[str, Any]:
    """A rollout's status as the admin API shows it."""
    r = status.rollout
    return {"id": r.id, "artefact": r.artefact, "version": r.version, "kind": r.kind,
            "target": r.target, "state": r.state, "reason": r.reason,
            "current_wave": r.current_wave, "created": r.created, "deadline": r.deadline,
            "updated": r.updated, "soak_s": r.soak_s, "gate": r.gate.model_dump(),
            "waves": [{"idx": w.idx, "state": w.state, "started": w.started,
                       "soak_until": w.soak_until, "finished": w.finished,
                       "devices": [t.device_id for t in status.wave_targets(w.idx)]}
                      for w in status.waves],
            "targets": [{"device": t.device_id, "wave": t.wave, "state": t.state,
                         "command": t.command_id, "rollback_command": t.rollback_command_id,
                         "previous_version": t.previous_version, "detail": t.detail}
                        for t in status.targets]}
