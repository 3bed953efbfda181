"""Tiny real artefacts for rollout tests: a model archive, and offline agent-upgrade bundles.

A model archive is the shipped triage model with a new version in its card (or a broken graph).
For agent upgrades, a stand-in nanogate wheel that pip installs.

The wheel is a real one (METADATA, WHEEL, RECORD, an ``edge-agent`` console script) with a
one-line module, so ``install.sh --bundle DIR --into-venv`` installs it offline in seconds;
the bundle around it is laid out by the real ``deploy/gateway/bundle.py``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import platform
import shutil
import zipfile
from pathlib import Path
from types import ModuleType

from edge_agent.triage.model import SHIPPED_DIR
from edge_agent.updates import pack_model

ROOT = Path(__file__).resolve().parents[2]


def _bundle_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle", ROOT / "deploy/gateway/bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle = _bundle_module()


def model_archive(tmp: Path, version: str, *, broken: bool = False) -> bytes:
    """A model artefact: the shipped model with a new version in its card."""
    folder = tmp / f"model-{version}"
    shutil.copytree(SHIPPED_DIR, folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["version"] = version
    (folder / "model_card.json").write_text(json.dumps(card))
    if broken:
        (folder / "triage.onnx").write_bytes(b"\x08\x07not a graph")
    return pack_model(folder)


def tiny_wheel(out: Path, version: str) -> Path:
    """``nanogate-<version>-py3-none-any.whl`` whose ``edge-agent`` prints its version."""
    info = f"nanogate-{version}.dist-info"
    files = {
        "nanogate_stub.py": f"def main():\n    print('edge-agent stub {version}')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: nanogate\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\nedge-agent = nanogate_stub:main\n",
    }
    record = []
    target = out / f"nanogate-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as zf:
        for name, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            zf.writestr(name, data)
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        zf.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return target


def tiny_bundle_folder(out: Path, version: str, *, machine: str = "") -> Path:
    """An unpacked bundle for this machine holding only the stand-in wheel."""
    wheels = out / f"wheels-{version}"
    wheels.mkdir(parents=True)
    folder = out / f"nanogate-{version}-linux-{machine or platform.machine()}"
    bundle.assemble(folder, [tiny_wheel(wheels, version)], machine=machine or platform.machine(),
                    pythons=[platform.python_version()[:4].rstrip(".")], version=version)
    return folder


def tiny_bundle(out: Path, version: str, *, machine: str = "") -> bytes:
    """The bytes of a bundle archive (.tar.gz) holding the stand-in wheel."""
    return pack(tiny_bundle_folder(out, version, machine=machine), out)


def pack(folder: Path, out: Path) -> bytes:
    """A bundle folder as archive bytes, as ``make bundle`` packs it."""
    return Path(bundle.archive(folder, out)).read_bytes()
