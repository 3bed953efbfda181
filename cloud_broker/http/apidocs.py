"""``/api/docs``: the admin API's reference as one plain HTML page, drawn from its OpenAPI
document on the server. FastAPI's own Swagger UI and ReDoc load scripts from a CDN and show
a blank page offline; this needs nothing but the broker."""

from __future__ import annotations

from html import escape
from typing import Any

DOCS_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'self'; "
                                           "frame-ancestors 'none'; base-uri 'none'",
                "X-Content-Type-Options": "nosniff"}
_METHODS = ("get", "post", "put", "patch", "delete")


def api_docs_page(spec: dict[str, Any]) -> str:
    """The reference page: every operation with its parameters and request body."""
    sections = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in _METHODS:
            if method in item:
                sections.append(_operation(method, path, item[method]))
    info = spec.get("info", {})
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(info.get("title", "API"))} · API reference</title>'
        '<link rel="stylesheet" href="/dashboard/static/dashboard.css"></head><body><main>'
        f'<h1>{escape(info.get("title", "API"))} API</h1>'
        '<p>Every route under <code>/api</code> needs <code>Authorization: Bearer '
        '&lt;admin token&gt;</code> with a role high enough for it (viewer reads, operator '
        'acts, admin manages credentials). The machine-readable document is '
        '<a href="/api/openapi.json">/api/openapi.json</a>. The <code>cloud-broker</code> '
        'command is a client of this API.</p>'
        f'<table id="operations"><thead><tr><th>Method</th><th>Path</th><th>What it does</th>'
        f'<th>Parameters</th></tr></thead><tbody>{"".join(sections)}</tbody></table>'
        '</main></body></html>')


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    params = [f"<code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
              f"{', required' if p.get('required') else ''})"
              for p in op.get("parameters", [])]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    if ref:
        params.append(f"JSON body: <code>{escape(ref.rsplit('/', 1)[-1])}</code>")
    summary = op.get("description") or op.get("summary") or ""
    return (f'<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>'
            f'<td>{escape(summary)}</td><td>{"<br>".join(params) or "—"}</td></tr>')
