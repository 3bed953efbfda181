"""The registry's device names, codes, areas and kinds, indexed for the slot resolver.

Every table maps a key to what has it, so resolving one request costs a few dictionary
lookups whatever the registry's size, and a registration costs a few insertions. Names meet
by a compact key (``compact``): "pump 2", "Pump-2", "PUMP_02" and the id ``pump-2`` are one.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import TypeVar

from edge_agent.registry import Device, Registry
from edge_agent.triage import lexicon
from edge_agent.triage.delex import name_key

T = TypeVar("T")
_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_SPLIT = re.compile(r"([a-z]+)(\d+)")
_CODE = re.compile(r"([a-z]+)[^a-z0-9]*(\d+)")
_WORDS = re.compile(r"[a-z]{2,}")


def compact(text: str) -> str:
    """The matching key of a name: letters and digits only, lower case, no leading zeros."""
    low = text.lower()
    # the slot resolver asks for thousands of keys a request, most already plain: skip the
    # substitutions where they would change nothing
    key = low if low.isascii() and low.isalnum() else _NON_ALNUM.sub("", low)
    return _ZEROS.sub("", key) if "0" in key else key


class NameIndex:
    """Registry-derived lookup tables, updated device by device as the registry changes.

    Every table maps a key to what has it, so one request costs a few dictionary lookups
    whatever the registry's size; a registration costs a few insertions.
    """

    def __init__(self, registry: Registry) -> None:
        # Ids are looked up in the registry's own id-key index (the same compact key);
        # multimaps hold tuples: most keys have one device, and a tuple costs a fraction
        # of a set at 10,000 points.
        self._registry = registry
        self.keys: dict[str, tuple[str, ...]] = {}  # compact name -> device ids
        self.codes: dict[str, tuple[str, ...]] = {}  # short code ("p2") -> device ids
        self.split_names: dict[str, tuple[tuple[str, str], ...]] = {}  # digits -> (letters, id)
        self.areas: dict[str, str] = {}  # compact area -> the registry's area
        self.kinds: dict[str, str] = {}  # canonical kind -> the registry's own kind string
        self.actuator_kinds: dict[str, str] = {}  # lower-case actuator kind -> canonical
        self.names: set[str] = set()  # delexicalisation keys of names, ids and areas
        self.words: dict[str, str] = {}  # words of areas, names and kinds ("zone", "freezer")
        self._counts: dict[str, Counter[str]] = {
            t: Counter() for t in ("names", "areas", "kinds", "actuator_kinds", "words")}

    def lookup(self, key: str) -> tuple[str, ...]:
        """Devices with this compact id or name, else the one device with this short code."""
        by_id, by_name = self._registry.ids_by_key(key), self.keys.get(key)
        if by_id or by_name:
            return tuple(sorted({*by_id, *(by_name or ())}))
        by_code = self.codes.get(key)
        return by_code if by_code is not None and len(by_code) == 1 else ()

    def add(self, device: Device) -> None:
        """Index one device."""
        id_key, name_key = _device_keys(device)
        if name_key:  # the id's key is in the registry's own index
            _put(self.keys, name_key, device.id)
        code = _code(device.id)
        if code:
            _put(self.codes, code, device.id)
        split = _SPLIT.fullmatch(compact(device.name) if device.name else id_key)
        if split:
            _put(self.split_names, split.group(2), (sys.intern(split.group(1)), device.id))
        for table, key, value in self._shared(device):
            counts = self._counts[table]
            if counts[key] == 0:
                if table == "names":
                    self.names.add(key)
                else:
                    self._table(table)[key] = value
            counts[key] += 1

    def remove(self, device: Device) -> None:
        """Forget one device (before it is indexed again with what changed)."""
        id_key, name_key = _device_keys(device)
        if name_key:
            _take(self.keys, name_key, device.id)
        _take(self.codes, _code(device.id), device.id)
        split = _SPLIT.fullmatch(compact(device.name) if device.name else id_key)
        if split:
            _take(self.split_names, split.group(2), (split.group(1), device.id))
        for table, key, _ in self._shared(device):
            counts = self._counts[table]
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
                if table == "names":
                    self.names.discard(key)
                else:
                    self._table(table).pop(key, None)

    def _table(self, table: str) -> dict[str, str]:
        return {"areas": self.areas, "kinds": self.kinds,
                "actuator_kinds": self.actuator_kinds, "words": self.words}[table]

    def _shared(self, device: Device) -> list[tuple[str, str, str]]:
        """Entries several devices can share: (table, key, value); each keeps its count."""
        out = [("names", name_key(n), "") for n in (device.id, device.name, device.area) if n]
        out += [("words", w, w) for w in dict.fromkeys(
            _WORDS.findall(f"{device.name} {device.area} {device.kind}".lower()))]
        if device.area:
            out.append(("areas", compact(device.area), device.area))
        kind = device.kind.lower()
        if kind:
            canonical = lexicon.KIND_OF_WORD.get(kind) or lexicon.ACTUATOR_ALIASES.get(kind, kind)
            out.append(("kinds", canonical, device.kind))
            if device.role == "actuator":
                out.append(("actuator_kinds", kind, canonical))
        return out


def _put(table: dict[str, tuple[T, ...]], key: str, value: T) -> None:
    have = table.get(key, ())
    if value not in have:
        table[key] = (*have, value)


def _take(table: dict[str, tuple[T, ...]], key: str, value: T) -> None:
    left = tuple(v for v in table.get(key, ()) if v != value)
    if left:
        table[key] = left
    else:
        table.pop(key, None)


def _device_keys(device: Device) -> tuple[str, str]:
    """The compact keys of the id and of the name ("" when there is no name to index)."""
    id_key = compact(device.id)
    name = compact(device.name) if device.name else ""
    return id_key, name if name and not name.isdigit() and name != id_key else ""


def _code(device_id: str) -> str:
    """"pump-2" -> "p2": first letter and the digits, for users who type short codes."""
    match = _CODE.fullmatch(device_id.lower())
    return f"{match.group(1)[0]}{int(match.group(2))}" if match else ""
