#!/usr/bin/env bash
# Benchmark of `evaluate` against Keras `model.predict` on the seed CNN and the
# 10,000 Fashion-MNIST test images (see scripts/bench/bench-evaluate.py). Prints JSON with
# rows/s of both and their ratios, and ONNX Runtime alone on the same model (the floor);
# issue 14's goal: the whole command ≥ 1.5× Keras at batch 512.
# Needs: .venv-bench (scripts/setup/setup-bench.sh), .venv (scripts/setup/setup.sh, ONNX Runtime),
# Fashion-MNIST at /usr/share/datasets/fashion-mnist (scripts/setup/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup/setup.sh
bash scripts/setup/setup-bench.sh
cargo build --release -p evaluate
work=${WORK:-out/bench-evaluate}
mkdir -p "$work"
.venv-bench/bin/python scripts/bench/bench-evaluate.py --evaluate target/release/evaluate --work "$work" "$@"
