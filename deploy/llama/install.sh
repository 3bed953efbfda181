#!/bin/sh
# Installs llama-cpp-python with a portable llama.cpp build: one recipe for `make install`,
# the Dockerfiles and deploy/. Usage: deploy/llama/install.sh PYTHON [pip args...]
#        deploy/llama/install.sh --cache-dir     (prints where built wheels are kept)
#
# Why this recipe: pip compiles llama.cpp on the machine that installs it, and llama.cpp's
# default (GGML_NATIVE=ON, -march=native) ties the build to that machine's CPU: the wheel
# dies with SIGILL or SIGSEGV on another one (AVX-512/AMX build hosts were seen to crash even
# on themselves). Turning native off alone is not enough: llama.cpp then switches AVX2, FMA,
# F16C and BMI2 on, which many virtual CPUs lack (this project's own build machine has AVX but
# no AVX2). So every x86 extension is off: the build runs on any x86-64 CPU, slowly (the model
# worker is out of the broker's process, so a native crash costs a restart, not the broker).
# Faster and still portable: GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS, one CPU backend per
# x86-64 level chosen at run time (llama-cpp-python does not load them: the worker would call
# ggml_backend_load_all_from_path through ctypes); it takes far longer to build, not done
# yet. On arm64 these flags leave NEON on (part of the baseline there). The version is
# pinned to the one this was tested with.
#
# The build takes a while, so the wheel is kept in a cache keyed by version and flags
# (never pip's own cache, which would hand back a wheel built with other flags).
set -eu
VERSION=0.3.36
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF \
-DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX_VNNI=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF \
-DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF"
key=$(printf '%s %s' "$VERSION" "$CMAKE_ARGS" | sha256sum | cut -c1-16)
cache="${NANOGATE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nanogate/wheels}/llama-cpp-$key"
if [ "${1:-}" = "--cache-dir" ]; then
    echo "$cache"
    exit 0
fi
python=${1:?usage: install.sh PYTHON [pip args...]}
shift
if ! ls "$cache"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
    echo "building llama.cpp for any CPU (once; kept in $cache)" >&2
    mkdir -p "$cache"
    CMAKE_ARGS="$CMAKE_ARGS" "$python" -m pip wheel --no-cache-dir --no-deps "$@" \
        -w "$cache" "llama-cpp-python==$VERSION"
fi
wheel=$(ls "$cache"/llama_cpp_python-"$VERSION"-*.whl | head -1)
exec "$python" -m pip install --no-cache-dir "$@" "$wheel[server]"
