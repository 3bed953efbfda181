#!/bin/sh
# Installs llama-cpp-python with a portable llama.cpp build: one recipe for `make install`,
# the Dockerfiles and deploy/. Usage: deploy/llama/install.sh PYTHON [pip args...]
#
# Why these flags: pip compiles llama.cpp on the machine that installs it, and llama.cpp's
# default (GGML_NATIVE=ON, -march=native) ties the build to that machine's CPU. Turning
# native off is not enough: llama.cpp then switches AVX, AVX2, FMA, F16C and BMI2 on by
# default, and that build dies with SIGILL on CPUs without them (common virtual CPUs lack
# AVX2). Runtime dispatch (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS) needs
# ggml_backend_load_all(), which llama-cpp-python does not expose. So we build for the
# x86-64 baseline (SSE2): slower than a tuned build, but it runs on every x86-64 CPU, and the
# broker runs models in supervised worker processes, so even a native crash is contained.
# On arm64 the same flags leave NEON on (it is part of the baseline there).
set -eu
python=${1:?usage: install.sh PYTHON [pip args...]}
shift
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF \
-DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX_VNNI=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF \
-DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF"
export CMAKE_ARGS
# --no-cache-dir: a wheel that pip cached from an earlier native build must not be reused.
exec "$python" -m pip install --no-cache-dir "$@" "llama-cpp-python[server]>=0.3,<0.4"
