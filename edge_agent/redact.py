"""Redaction: what leaves the gateway carries placeholders, never names or personal data.

Before an escalation is queued, configured device ids and names, areas and the site name
become placeholders (``<DEVICE_1>``, ``<AREA_2>``, ``<SITE>``), and personal data in free text
(``edge_agent.pii``) becomes ``<EMAIL_1>``, ``<PHONE_1>`` and so on. Readings sent as context
lose or coarsen the fields ``[privacy]`` names. The mapping from placeholder to original is
kept on the gateway, in the outbox beside the queued request (``edge_agent.escalations``;
the link never sends it), so it survives a restart; the answer's placeholders are restored
from it. A placeholder the model invents is left as it is and reported, never mapped to a
device.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from edge_agent.config import PrivacySection, load_config
from edge_agent.pii import find
from edge_agent.registry import Registry
from nanogate.v1 import edge_pb2 as pb

MAPPING_KEY = "redaction"  # the mapping's key in a payload (and in older outboxes' documents)
PLACEHOLDER = re.compile(r"<SITE>|<(?:DEVICE|AREA|PERSON|EMAIL|PHONE|IBAN|CARD|IP|MAC)_\d+>")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_NUMBER = re.compile(r"[-+]?\d{0,7}(?:\.\d+)?(?:[eE][-+]?\d+)?")  # a reading, never a phone
_PLANS_KEPT = 1024  # texts whose spans are remembered (alerts and readings recur)
Plan = list[tuple[int, int, str, str]]  # (start, end, placeholder kind, original)
_GAP = re.compile(r"[\s_.\-/]{0,2}")  # what may stand between the words of one name


@dataclass
class Redaction:
    """One request's placeholders: ``mapping`` goes to the outbox item, never to the cloud."""

    mapping: dict[str, str] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: str, original: str) -> str:
        """The stable placeholder for ``original`` in this request (the same one each time)."""
        key = (kind, original)
        found = self._by_value.get(key)
        if found is not None:
            return found
        if kind == "SITE":
            name = "<SITE>"
        else:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            name = f"<{kind}_{self._counts[kind]}>"
        self._by_value[key] = name
        self.mapping[name] = original
        return name


@dataclass(frozen=True, slots=True)
class Restored:
    """Text with its placeholders put back, and the placeholders nobody sent."""

    text: str
    unknown: tuple[str, ...] = ()


class Redactor:
    """Applies one site's ``[privacy]`` policy to what an escalation sends."""

    def __init__(self, policy: PrivacySection, registry: Registry, site: str) -> None:
        self.policy = policy
        self._registry = registry
        self._site = site
        self._version = -1
        self._names: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        self._plans: dict[str, Plan] = {}
        self._detect = tuple(policy.detect)

    def text(self, text: str, redaction: Redaction, *, recurs: bool = False) -> str:
        """``text`` with names and personal data replaced by placeholders; ``recurs``: a text
        seen again and again (an alert, a reading), whose spans are worth remembering."""
        if not self.policy.enabled:
            return text
        if "<" in text:  # a requester's own "<DEVICE_1>" must never pass for ours
            text = PLACEHOLDER.sub(lambda m: f"\u2039{m.group()[1:-1]}\u203a", text)
        self._index()  # a changed registry forgets the remembered plans
        plan = self._plans.get(text)
        if plan is None:
            plan = self._plan(text, recurs)
        pieces, last = [], 0
        for start, end, kind, original in plan:
            pieces += [text[last:start], redaction.placeholder(kind, original)]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def _plan(self, text: str, remember: bool) -> Plan:
        """Where ``text`` holds what to hide: personal data first, then names between it.
        Kept for texts seen again (alerts, readings) until the registry changes."""
        plan: list[tuple[int, int, str, str]] = []
        last = 0
        for start, end, kind in [*find(text, self._detect), (len(text), len(text), "")]:
            plan += self._names_in(text, last, start)
            if kind:
                plan.append((start, end, kind.upper(), text[start:end]))
            last = end
        if remember:
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[text] = plan
        return plan

    def reading(self, reading: dict[str, Any], redaction: Redaction) -> dict[str, Any]:
        """A context reading with its device and area hidden and fields dropped or bucketed."""
        if not self.policy.enabled:
            return reading
        out = dict(reading)
        if self.policy.names:
            out["device_id"] = redaction.placeholder("DEVICE", str(reading["device_id"]))
            if reading.get("area"):
                out["area"] = redaction.placeholder("AREA", str(reading["area"]))
        value = str(reading.get("value", ""))
        out["value"] = value if _NUMBER.fullmatch(value) else \
            self.text(value, redaction, recurs=True)
        for name, step in self.policy.bucket.items():
            out[name] = _bucket(out.get(name), step)
        for name in self.policy.drop_fields:
            out[name] = 0.0 if name == "ts" else ""
        return out

    def payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """An escalation payload as the cloud may see it, with the mapping kept beside it."""
        redaction = Redaction()
        out = {**payload, "text": self.text(payload["text"], redaction)}
        out["context"] = [self.reading(r, redaction) for r in payload.get("context", [])]
        out["alerts"] = [self.text(a, redaction, recurs=True) for a in payload.get("alerts", [])]
        out[MAPPING_KEY] = redaction.mapping
        return out

    def request(self, request: pb.EscalateRequest) -> tuple[pb.EscalateRequest, dict[str, str]]:
        """An escalation request as the cloud may see it, and the mapping that stays here."""
        redaction = Redaction()
        out = pb.EscalateRequest()
        out.CopyFrom(request)
        out.text = self.text(request.text, redaction)
        del out.context[:]
        out.context.extend(pb.Reading(**self.reading(_fields(r), redaction))
                           for r in request.context)
        del out.alerts[:]
        out.alerts.extend(self.text(a, redaction, recurs=True) for a in request.alerts)
        return out, redaction.mapping

    def _names_in(self, whole: str, begin: int, stop: int) -> Plan:
        """Configured names in ``whole[begin:stop]``, as plan entries."""
        text = whole[begin:stop]
        if not self.policy.names or not text:
            return []
        names = self._index()
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare letter whose lower case is longer
            lowered = text
        tokens = _TOKEN.findall(lowered)
        if names.keys().isdisjoint(tokens):
            return []  # the common case, decided in C
        spans = [m.span() for m in _TOKEN.finditer(lowered)]
        plan, after = [], 0
        for n in [n for n, token in enumerate(tokens) if token in names]:
            if n < after:
                continue
            hit = _name_at(lowered, tokens, spans, n, names[tokens[n]])
            if hit is not None:
                used, kind, original = hit
                plan.append((begin + spans[n][0], begin + spans[n + used - 1][1], kind, original))
                after = n + used
        return plan

    def _index(self) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
        """Names by first word, longest first; rebuilt when the registry changes."""
        if self._version == self._registry.version:
            return self._names
        self._plans.clear()
        entries: dict[tuple[str, ...], tuple[str, str]] = {}
        for extra in self.policy.people:
            entries.setdefault(_words(extra), ("PERSON", extra))
        for device in self._registry.devices():
            entries.setdefault(_words(device.id), ("DEVICE", device.id))
            if device.name:
                entries.setdefault(_words(device.name), ("DEVICE", device.id))
        for device in self._registry.devices():
            if device.area:
                entries.setdefault(_words(device.area), ("AREA", device.area))
        if self._site:
            entries.setdefault(_words(self._site), ("SITE", self._site))
        names: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for words, (kind, original) in entries.items():
            if words:
                names.setdefault(words[0], []).append((words, kind, original))
        for options in names.values():
            options.sort(key=lambda o: -len(o[0]))
        self._names, self._version = names, self._registry.version
        return names


def restore(text: str, mapping: dict[str, str]) -> Restored:
    """``text`` with the placeholders of ``mapping`` put back; others stay and are reported."""
    unknown: list[str] = []

    def back(m: re.Match[str]) -> str:
        original = mapping.get(m.group())
        if original is None:
            unknown.append(m.group())
            return m.group()
        return original

    restored = PLACEHOLDER.sub(back, text) if "<" in text else text
    return Restored(restored, tuple(dict.fromkeys(unknown)))


def restore_response(response: pb.EscalateResponse,
                     mapping: dict[str, str]) -> tuple[pb.EscalateResponse, list[str]]:
    """A cloud answer with names restored in its text and its actions' device ids, and the
    invented placeholders found (an action naming one keeps it: no device has that id)."""
    out = pb.EscalateResponse()
    out.CopyFrom(response)
    unknown: dict[str, None] = {}
    for name in ("answer", "error_message"):
        done = restore(getattr(out, name), mapping)
        setattr(out, name, done.text)
        unknown.update(dict.fromkeys(done.unknown))
    for action in out.actions:
        for name in ("device_id", "value"):
            done = restore(getattr(action, name), mapping)
            setattr(action, name, done.text)
            unknown.update(dict.fromkeys(done.unknown))
    return out, list(unknown)


def _words(name: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in _TOKEN.findall(name))


def _name_at(text: str, tokens: list[str], spans: list[tuple[int, int]], n: int,
             options: list[tuple[tuple[str, ...], str, str]]) -> tuple[int, str, str] | None:
    """The longest configured name starting at token ``n``: (words used, kind, original)."""
    for words, kind, original in options:
        end = n + len(words)
        if tuple(tokens[n:end]) != words:
            continue
        if _joined(text, spans[n][0] - 1) or _joined(text, spans[end - 1][1]):
            continue  # part of a longer word: "pump-2b" is not "pump-2"
        if all(_GAP.fullmatch(text, spans[i][1], spans[i + 1][0]) for i in range(n, end - 1)):
            return len(words), kind, original
    return None


def _joined(text: str, at: int) -> bool:
    return 0 <= at < len(text) and text[at].isalnum()


def _fields(reading: pb.Reading) -> dict[str, Any]:
    return {f.name: getattr(reading, f.name) for f in reading.DESCRIPTOR.fields}


def _bucket(value: Any, step: float) -> Any:
    """``value`` rounded down to a multiple of ``step`` (text that is no number: unchanged)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if not math.isfinite(number) or step <= 0:
        return value
    low = math.floor(number / step) * step
    return low if isinstance(value, float) else f"{low:g}"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``redact`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "redact", help="show what a request would send to the cloud, under [privacy]",
        description="Show the text an escalation would send to the cloud, with names and "
        "personal data replaced by placeholders, and the mapping that stays on the gateway.")
    parser.add_argument("text", help="a request, as a requester would send it")
    parser.add_argument("--config", type=Path, help="edge.toml (its devices, site, [privacy])")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(func=lambda args: run_redact(args.text, args.config, as_json=args.json))
    return parser


def run_redact(text: str, config_path: Path | None, *, as_json: bool = False,
               out: TextIO | None = None) -> int:
    """Print what ``text`` would look like on its way to the cloud; 0 always."""
    from edge_agent.agent import build_registry  # the daemon's wiring, imported on demand
    from edge_agent.status import DEFAULT_CONFIG

    if config_path is None and DEFAULT_CONFIG.exists():
        config_path = DEFAULT_CONFIG
    config = load_config(config_path)
    redactor = Redactor(config.privacy, build_registry(config), config.gateway.site)
    redaction = Redaction()
    sent = redactor.text(text, redaction)
    stream = out or sys.stdout
    if as_json:
        stream.write(json.dumps({"sent": sent, "kept": redaction.mapping,
                                 "enabled": config.privacy.enabled}) + "\n")
        return 0
    lines = [f"sent: {sent}"]
    if not config.privacy.enabled:
        lines.append("([privacy] enabled = false: the request leaves as it is)")
    lines += [f"  {name} = {original}  (kept on the gateway)"
              for name, original in redaction.mapping.items()]
    stream.write("\n".join(lines) + "\n")
    return 0
