#!/usr/bin/env bash
# Benchmark of `evaluate` against Keras `model.predict` on the seed CNN and the
# 10,000 Fashion-MNIST test images (see scripts/bench/bench-evaluate.py). Prints JSON with
# rows/s of both and their ratios, and ONNX Runtime alone on the same model (the floor);
# the goal: the whole command ≥ 1.5× Keras at batch 512.
# Needs: .venv-bench (scripts/setup/setup-bench.sh), .venv (scripts/setup/setup.sh, ONNX
# Runtime), Fashion-MNIST (`scripts/setup/setup.sh --with fashion` installs it;
# scripts/bench/prelude.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
need_fashion bench-evaluate
bench_runtime
bench_venv
bench_build
bench_machine
work=${WORK:-out/bench-evaluate}
mkdir -p "$work"
"$BENCH_PY" scripts/bench/bench-evaluate.py --evaluate "$BIN/evaluate" --fashion "$FASHION" --work "$work" "$@"
