"""A JSON-schema subset for checking deploy manifests offline: what kubeconform would catch.

Supports ``type``, ``properties`` (closed unless ``open``), ``required``, ``items``, ``enum``,
``pattern`` and ``oneOf``-free nesting; enough to catch typos and wrong shapes in the fields
our manifests use.
"""

from __future__ import annotations

import re
from typing import Any

Schema = dict[str, Any]

_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "boolean": bool,
    "integer": int, "number": (int, float), "null": type(None),
}


def errors(doc: Any, schema: Schema, where: str = "$") -> list[str]:
    """Every place where ``doc`` breaks ``schema``, as ``path: problem`` lines."""
    kinds = schema.get("type")
    if kinds:
        allowed = tuple(_TYPES[k] for k in ([kinds] if isinstance(kinds, str) else kinds))
        flat = tuple(t for a in allowed for t in (a if isinstance(a, tuple) else (a,)))
        if not isinstance(doc, flat) or (isinstance(doc, bool) and bool not in flat):
            return [f"{where}: expected {kinds}, got {type(doc).__name__}"]
    found: list[str] = []
    if "enum" in schema and doc not in schema["enum"]:
        found.append(f"{where}: {doc!r} not one of {schema['enum']}")
    if "pattern" in schema and isinstance(doc, str) and not re.search(schema["pattern"], doc):
        found.append(f"{where}: {doc!r} does not match {schema['pattern']}")
    if isinstance(doc, dict):
        found += _object_errors(doc, schema, where)
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            found += errors(item, schema["items"], f"{where}[{i}]")
    return found


def _object_errors(doc: dict[str, Any], schema: Schema, where: str) -> list[str]:
    found = [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in doc]
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, value in doc.items():
        if key in props:
            found += errors(value, props[key], f"{where}.{key}")
        elif isinstance(extra, dict):
            found += errors(value, extra, f"{where}.{key}")
        elif props and not schema.get("open"):
            found.append(f"{where}: unknown key {key!r}")
    return found
