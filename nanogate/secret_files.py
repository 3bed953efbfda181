"""Writing secrets to disk: created 0600 (never wider, not even for an instant), atomically.

Writing a file and then ``chmod``-ing it leaves a moment in which the umask's mode (often
0644) lets anyone on the machine read the secret; ``os.open`` with the mode does not.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_secret(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` atomically with ``data`` in a file created with ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
