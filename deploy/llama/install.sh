#!/bin/sh
# Installs llama-cpp-python with a portable llama.cpp build: one recipe for `make install`,
# the Dockerfiles and deploy/. Usage: deploy/llama/install.sh PYTHON [pip args...]
#        deploy/llama/install.sh --cache-dir     (prints where built wheels are kept)
#
# Why this recipe: pip compiles llama.cpp on the machine that installs it, and llama.cpp's
# default (GGML_NATIVE=ON, -march=native) ties the build to that machine's CPU: the wheel
# dies with SIGILL or SIGSEGV on another one (AVX-512/AMX build hosts were seen to crash even
# on themselves). Turning native off alone is not enough: llama.cpp then switches AVX2, FMA,
# F16C and BMI2 on, which many virtual CPUs lack. We build llama.cpp's CPU backend once per
# x86-64 level (GGML_CPU_ALL_VARIANTS, loaded at run time with GGML_BACKEND_DL): the broker's
# model worker loads them (cloud_broker/backends/ggml_cpu.py) and llama.cpp picks the best one
# this CPU can run, from plain x86-64 up to AVX-512/AMX. On arm64 the same flags build the
# arm variants. The version is pinned to the one this recipe was tested with.
#
# The build takes a while, so the wheel is kept in a cache keyed by version and flags
# (never pip's own cache, which would hand back a wheel built with other flags).
set -eu
VERSION=0.3.36
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF"
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
