#!/usr/bin/env bash
# HOG throughput: ours vs scikit-image's `hog` looped over the same images, in one run.
#
# Images: the 70,000 Fashion-MNIST images (train + test), apt package
# dataset-fashion-mnist (FASHION in scripts/bench/prelude.sh; override: FASHION_DIR).
# Parameters: the lab's (orientations 8, 4x4 cells, 1x1 blocks, L2-Hys → D = 392);
# extra arguments are passed to both sides (e.g. --orientations 9 --pixels-per-cell 8x8
# --cells-per-block 3x3). SKIMAGE_LIMIT=N times scikit-image on the first N images only.
#
# Prints: the machine line; ours in memory (the `features hog` kernel: rayon over images,
# per-thread scratch; features/src/bin/bench_hog.rs), ours end to end (`features hog`
# CLI: Parquet in → Parquet out), and scikit-image; the ratios; and max |ours −
# scikit-image| over the first 2,000 images.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
need_fashion bench-hog
FILES=("$FASHION/train-images-idx3-ubyte.gz" "$FASHION/t10k-images-idx3-ubyte.gz")
bench_venv skimage

PARAMS=(--orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys "$@")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
bench_build
bench_machine

echo "bench-hog: ours (in memory, $(nproc) cores)…" >&2
OURS=$("$BIN/bench_hog" "${FILES[@]}" "${PARAMS[@]}" --dump "$WORK/ours.f32" --write-dataset "$WORK/fashion.parquet")

echo "bench-hog: ours end to end (features hog CLI)…" >&2
T0=$(date +%s.%N)
"$BIN/features" hog --in "$WORK/fashion.parquet" --out "$WORK/hog.parquet" "${PARAMS[@]}" 2>"$WORK/cli.log"
T1=$(date +%s.%N)

echo "bench-hog: scikit-image (one image at a time, as the lab does)…" >&2
SK=$("$BENCH_PY" scripts/bench/bench-hog.py "${FILES[@]}" "${PARAMS[@]}" --compare "$WORK/ours.f32" ${SKIMAGE_LIMIT:+--limit $SKIMAGE_LIMIT})

python3 - "$OURS" "$SK" "$T0" "$T1" "$(nproc)" <<'PY'
import json, sys
ours, sk = json.loads(sys.argv[1]), json.loads(sys.argv[2])
e2e = ours["images"] / (float(sys.argv[4]) - float(sys.argv[3]))
print(f"images: {ours['images']:,} Fashion-MNIST 28x28, D = {ours['dim']} (scikit-image timed on {sk['images']:,})")
print(f"scikit-image 0.26 hog loop : {sk['images_per_s']:>12,.0f} images/s")
print(f"ours, in memory            : {ours['images_per_s']:>12,.0f} images/s  = {ours['images_per_s']/sk['images_per_s']:,.0f}x  ({ours['threads']} threads)")
print(f"ours, features hog CLI     : {e2e:>12,.0f} images/s  = {e2e/sk['images_per_s']:,.0f}x  (Parquet read + HOG + Parquet write, process start included)")
print(f"max |ours - scikit-image| on the first 2,000 images: {sk['max_abs_diff']:.3g}")
PY
