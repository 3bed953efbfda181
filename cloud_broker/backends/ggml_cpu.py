"""llama.cpp's CPU backends, loaded for the CPU the broker runs on.

``deploy/llama/install.sh`` builds llama.cpp's CPU backend once per x86-64 level (plain
x86-64, SSE4.2, AVX, AVX2, AVX-512, AMX, ...), each as its own shared library, so one build
runs on any CPU. llama-cpp-python does not load them itself (it does not expose
``ggml_backend_load_all``), so the model worker calls ggml through ctypes before it loads a
model; ggml scores every variant against this CPU's features and registers the best one.
A build without the variants (an older install) needs nothing: its CPU backend is built in.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import structlog

log = structlog.get_logger("cloud_broker.backends.ggml_cpu")


def library_dir() -> Path:
    """Where llama-cpp-python keeps llama.cpp's shared libraries."""
    import llama_cpp

    return Path(llama_cpp.__file__).resolve().parent / "lib"


@functools.cache
def load_cpu_backends() -> str:
    """Register the best CPU backend variant for this CPU, once; returns the one loaded."""
    lib = library_dir()
    variants = sorted(p.name for p in lib.glob("libggml-cpu-*.so"))
    if not variants:
        return "built-in"
    ggml = ctypes.CDLL(str(lib / "libggml.so"), mode=ctypes.RTLD_GLOBAL)
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path.restype = None
    ggml.ggml_backend_load_all_from_path(str(lib).encode())
    chosen = _registered_cpu_backend()
    log.info("llama.cpu_backend_loaded", backend=chosen, variants=len(variants))
    return chosen


def _registered_cpu_backend() -> str:
    """Which variant ggml kept: the one CPU backend library mapped into this process."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return "unknown"
    mapped = {line.rsplit("/", 1)[-1] for line in maps.read_text().splitlines()
              if "libggml-cpu-" in line}
    return ",".join(sorted(n.removeprefix("libggml-cpu-").removesuffix(".so") for n in mapped))
