"""``cloud-broker secrets DIR``: the files every replica must share, made once.

Several replicas on one PostgreSQL must agree on the CA that issues gateway certificates, the
key that signs rollouts and the admin token. This writes them into one folder, named as the
keys of the Kubernetes Secret and the compose secrets volume that mount it (``ca.pem``,
``ca.key``, ``signing_key.pem``, ``admin_token``); files already there are kept, so it is safe
to run again. ``--public DIR`` also copies the CA certificate (only it) for gateways to trust.
"""

from __future__ import annotations

import secrets as random
import shutil
from pathlib import Path
from typing import Annotated

import typer

from cloud_broker.cli.client import emit_json, fail, out
from cloud_broker.fleet.signing import load_or_create
from cloud_broker.pki import CertificateAuthority
from nanogate.secret_files import write_secret

FILES = ("ca.pem", "ca.key", "signing_key.pem", "admin_token")


def make_secrets(folder: Path, public: Path | None = None) -> dict[str, str]:
    """Create what is missing of ``FILES`` in ``folder``; returns each file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    CertificateAuthority.load_or_create(folder / "ca.pem", folder / "ca.key")
    load_or_create(folder / "signing_key.pem")
    token = folder / "admin_token"
    if not token.exists():
        write_secret(token, f"nga_{random.token_urlsafe(24)}\n".encode())
    if public is not None:
        public.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "ca.pem", public / "ca.pem")
    return {name: str(folder / name) for name in FILES}


def secrets(folder: Annotated[Path, typer.Argument(
                metavar="DIR", help="Where to write them (created if missing).")],
            public: Annotated[Path | None, typer.Option(
                "--public", metavar="DIR", help="Also copy ca.pem (only) here.")] = None,
            json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
            = False) -> None:
    """Make the CA, rollout signing key and admin token that all replicas share."""
    try:
        made = make_secrets(folder, public)
    except (OSError, ValueError) as exc:
        fail(f"cannot write the shared secrets in {folder}: {exc}")
    if json_:
        emit_json(made)
        return
    for name, path in made.items():
        out.print(f"{name}\t{path}", markup=False)
