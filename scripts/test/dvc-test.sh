#!/usr/bin/env bash
# `pipeline dvc` writes a dvc.yaml with which `dvc repro` makes the same files as the
# plan's commands (what make runs), on a two-stage slice of the lab: MNIST → HOG.
# Installs DVC into .venv-dvc (from PyPI) the first time.
#
#   scripts/test/dvc-test.sh [BIN]   (BIN: the stage binaries, default target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=$(cd "${1:-target/release}" && pwd)
DVC_VERSION=3.67.1
if [ ! -x .venv-dvc/bin/dvc ] || ! .venv-dvc/bin/dvc --version 2>/dev/null | grep -qx "$DVC_VERSION"; then
  echo "dvc-test: installing dvc $DVC_VERSION into .venv-dvc"
  python3 -m venv --clear .venv-dvc
  .venv-dvc/bin/pip install --quiet --disable-pip-version-check "dvc==$DVC_VERSION"
fi
DVC=$ROOT/.venv-dvc/bin/dvc
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

for side in make dvc; do
  mkdir "$T/$side"
  cat > "$T/$side/pipeline.toml" <<TOML
[datasets.mnist]
kind = "idx"
train_images = "$ROOT/data/mnist-10k/train-images-idx3-ubyte.gz"
train_labels = "$ROOT/data/mnist-10k/train-labels-idx1-ubyte.gz"
val_fraction = 0.1

[features.hog]
method = "hog"
from = "mnist"
orientations = 8
pixels_per_cell = 4
cells_per_block = 1
TOML
done

passed=0 failed=0
check() { if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1" >&2; fi; }

# make's side: the plan's commands, node by node.
for node in data:mnist:train features:hog:train; do
  "$BIN/pipeline" run "$node" --manifest "$T/make/pipeline.toml" --bin "$BIN" >/dev/null
done
# DVC's side: the generated dvc.yaml, reproduced up to the HOG features of train.
(
  cd "$T/dvc"
  "$BIN/pipeline" dvc --bin "$BIN" 2>/dev/null
  "$DVC" init --no-scm -q
  "$DVC" repro -q features_hog_train >/dev/null
)
for f in out/data/mnist/train.parquet out/data/mnist/val.parquet out/features/hog/train.parquet \
         out/features/hog/pictures/hog-00000.png; do
  check "dvc repro made $f as make does" cmp -s "$T/make/$f" "$T/dvc/$f"
done
check "dvc.lock records the HOG stage" grep -q "features_hog_train" "$T/dvc/dvc.lock"
# Up to date: a second repro runs nothing.
check "a second dvc repro finds everything up to date" \
  bash -c "cd '$T/dvc' && '$DVC' repro features_hog_train 2>&1 | grep -q 'didn.t change'"
echo "dvc-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
