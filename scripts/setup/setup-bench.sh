#!/usr/bin/env bash
# Installs what the benchmarks and fixture generators need, once (idempotent), into
# .venv-bench (kept apart from .venv so the tests never depend on TensorFlow):
# each stage adds its own packages to its own line below.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
stamp=.venv-bench/.setup-ok
want=""
# evaluate: fixture generator (scikit-learn → skl2onnx) and the Keras comparison.
want="$want onnxruntime==1.31.1 onnx==1.23.2 numpy pyarrow scikit-learn skl2onnx tensorflow-cpu"
# features: scikit-image baseline of scripts/bench/bench-hog.sh (HOG parity and speed).
want="$want scikit-image==0.26.0"
# ingest: Keras image_dataset_from_directory and PIL baselines of scripts/bench/bench-ingest.sh.
want="$want tensorflow-cpu pillow"
# train: the Keras side of scripts/bench/bench-train.sh uses tensorflow-cpu (above) and pyarrow;
# its PyTorch side uses torch (PyPI's build: CPU kernels, ~3 GB with its dependencies).
want="$want torch"
want="${want# }"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup-bench: creating .venv-bench with $want"
  [ -x .venv-bench/bin/python ] || "$PY" -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check $want
  echo "$want" > "$stamp"
fi
