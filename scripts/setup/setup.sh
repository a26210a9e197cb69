#!/usr/bin/env bash
# Installs what the tests and the demo need, once (idempotent):
#  - .venv with onnxruntime==1.31.1 (its libonnxruntime.so is what `ort` loads),
#    onnx (model checker) and pyarrow (format round-trip tests), and ray (the
#    scale-out executor pipeline/ray/ray_run.py, make ray, scripts/test/ray-test.sh);
#  - Fashion-MNIST (apt package dataset-fashion-mnist) for full-scale tests and the
#    benchmarks, at FASHION (scripts/bench/prelude.sh, where the data paths are defined).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
PY=${PYTHON:-python3}
stamp=.venv/.setup-ok
want="onnxruntime==1.31.1 onnx==1.23.2 numpy pyarrow ray==2.60.0"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: creating .venv with $want"
  # --clear: a .venv moved from another directory has scripts that point there.
  "$PY" -m venv --clear .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check $want
  echo "$want" > "$stamp"
fi
if [ ! -d "$FASHION" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing dataset-fashion-mnist"
    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null
  else
    echo "setup: Fashion-MNIST missing; run 'sudo apt-get install dataset-fashion-mnist' for the full-scale tests" >&2
  fi
fi
