#!/usr/bin/env bash
# Training speed and accuracy: our `train` vs Keras 3 (tensorflow-cpu, oneDNN on) and
# PyTorch (CPU, a plain training loop: scripts/bench/bench-train-torch.py), same data,
# architecture, optimizer (RMSprop defaults; Adam for the pneumonia CNN), batch size and
# epochs, with the validation pass every epoch, in one run on this machine.
#
# Data: MNIST-10k (data/mnist-10k: 8,000 train / 2,000 test images, used as the
# validation set), ingested to Parquet with `ingest idx`; HOG features (orientations 8,
# 4x4 cells, 1x1 blocks → 392) with `features hog` when that binary builds, else the
# HOG-MLP row is skipped.
# Models: MLP 784-30-30-10, HOG-MLP 392-100-10, the seed CNN, and the pneumonia CNN
# (train/examples/*.toml, with epochs and batch_size replaced). The pneumonia CNN trains
# on SYNTHETIC X-ray-like JPEGs (`ingest synth-xray`: 500+500 train, 100+100 validation,
# resized to 128×128 gray by `ingest folders`) with batch PNEU_BATCH, as the issue's
# 1,000-image figure.
# Env: EPOCHS (default 10), BATCH (default 128), PNEU_BATCH (default 32),
# MODELS (default "mlp hog_mlp cnn pneumonia_cnn"), SKIP_BUILD=1,
# KERAS_JIT_COMPILE (auto|0|1, passed to Keras's compile), LAB_KERNELS (our kernel path:
# avx512|avx2|neon|portable; default the fastest this CPU runs), ALSO_KERNELS (more of
# our paths to time in the same run, e.g. "avx2": one extra row each, ratio to Keras).
# Prints the CPU model, its SIMD features and the kernel path of every row.
# Seconds/epoch = mean over epochs 2..E (the first epoch of both includes warm-up:
# graph tracing for Keras); accuracy = validation accuracy after the last epoch.
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${EPOCHS:-10}
BATCH=${BATCH:-128}
PNEU_BATCH=${PNEU_BATCH:-32}
MODELS=${MODELS:-"mlp hog_mlp cnn pneumonia_cnn"}
if ! .venv-bench/bin/python -c "import keras, pyarrow, torch" 2>/dev/null; then bash scripts/setup/setup-bench.sh; fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== SIMD features: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|amx_tile|asimd)$' | xargs)"

# SKIP_BUILD=1 uses the binaries already in target/release.
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --workspace
HAVE_FEATURES=0
if { [ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --workspace 2>/dev/null; } && [ -x target/release/features ]; then HAVE_FEATURES=1; fi

D=data/mnist-10k
target/release/ingest idx --images $D/train-images-idx3-ubyte.gz --labels $D/train-labels-idx1-ubyte.gz --out "$WORK/train.parquet" >/dev/null 2>&1
target/release/ingest idx --images $D/t10k-images-idx3-ubyte.gz --labels $D/t10k-labels-idx1-ubyte.gz --out "$WORK/val.parquet" >/dev/null 2>&1
if [ $HAVE_FEATURES = 1 ]; then
  for s in train val; do
    target/release/features hog --in "$WORK/$s.parquet" --out "$WORK/hog_$s.parquet" \
      --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 >/dev/null 2>&1
  done
fi

if [[ " $MODELS " == *" pneumonia_cnn "* ]]; then
  target/release/ingest synth-xray --out "$WORK/xray" --train 500 --val 100 --test 0 --min-size 300 --max-size 600 --quiet
  for s in train val; do
    target/release/ingest folders --root "$WORK/xray/$s" --out "$WORK/xray_$s.parquet" --size 128x128 --quiet
  done
fi

RESULTS="$WORK/results.jsonl"
for m in $MODELS; do
  tr=$WORK/train.parquet; va=$WORK/val.parquet; batch=$BATCH
  if [ "$m" = pneumonia_cnn ]; then
    tr=$WORK/xray_train.parquet; va=$WORK/xray_val.parquet; batch=$PNEU_BATCH
  fi
  if [ "$m" = hog_mlp ]; then
    if [ $HAVE_FEATURES = 0 ]; then echo "bench-train: no features binary, skipping hog_mlp" >&2; continue; fi
    tr=$WORK/hog_train.parquet; va=$WORK/hog_val.parquet
  fi
  sed -e "s/^epochs = .*/epochs = $EPOCHS/" -e "s/^batch_size = .*/batch_size = $batch/" \
    train/examples/$m.toml > "$WORK/$m.toml"
  OURS_ALL=""
  for kernels in "${LAB_KERNELS:-}" ${ALSO_KERNELS:-}; do
    echo "bench-train: $m, ours ${kernels:-(default kernels)}…" >&2
    rm -rf "$WORK/out_$m"
    LAB_KERNELS=$kernels target/release/train --spec "$WORK/$m.toml" --train "$tr" --val "$va" --out "$WORK/out_$m" --quiet \
      --profile "$WORK/profile_$m.json"
    OURS=$(.venv-bench/bin/python - "$WORK/out_$m/history.parquet" "$WORK/profile_$m.json" <<'PY'
import json, sys, pyarrow.parquet as pq
h = pq.read_table(sys.argv[1]).to_pydict()
profile = json.load(open(sys.argv[2]))
print(json.dumps({"epoch_seconds": h["seconds"], "val_accuracy": h["val_accuracy"][-1], "val_loss": h["val_loss"][-1], "profile": profile}))
PY
)
    OURS_ALL="$OURS_ALL${OURS_ALL:+, }$OURS"
  done
  ROWS=$(.venv-bench/bin/python -c "import pyarrow.parquet as pq, sys; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)" "$tr")
  echo "bench-train: $m, Keras…" >&2
  KERAS=$(.venv-bench/bin/python scripts/bench/bench-train.py $m --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$batch" | tail -1)
  echo "bench-train: $m, PyTorch…" >&2
  TORCH=$(.venv-bench/bin/python scripts/bench/bench-train-torch.py $m --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$batch" | tail -1)
  echo "{\"model\": \"$m\", \"batch\": $batch, \"rows\": $ROWS, \"ours\": [$OURS_ALL], \"keras\": $KERAS, \"torch\": $TORCH}" >> "$RESULTS"
done

# The machine's practical peak: OpenBLAS sgemm (numpy in .venv-bench) on 2048³, all cores,
# best of 5 — what the per-layer GFLOP/s below are set against.
PEAK=$(OPENBLAS_NUM_THREADS=$(nproc) .venv-bench/bin/python - <<'PY'
import time, numpy as np
a = np.random.rand(2048, 2048).astype(np.float32); b = np.random.rand(2048, 2048).astype(np.float32)
a @ b
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(round(2 * 2048**3 / best / 1e9, 1))
PY
)

python3 - "$RESULTS" "$EPOCHS" "$BATCH" "$(nproc)" "$PEAK" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
peak = float(sys.argv[5])
def per_epoch(s):
    s = s[1:] if len(s) > 1 else s
    return sum(s) / len(s)
print(f"MNIST-10k (8,000 train / 2,000 val) and SYNTHETIC X-rays (1,000 train / 200 val), {sys.argv[2]} epochs, {sys.argv[4]} cores;")
print(f"s/epoch = mean of epochs 2..{sys.argv[2]} (training and the validation pass); img/s = training rows / s/epoch")
print(f"{'model':<14} {'kernels':>8} {'batch':>5} {'ours s/ep':>10} {'keras s/ep':>11} {'torch s/ep':>11} {'vs keras':>9} {'vs torch':>9} {'ours acc':>9} {'keras acc':>10} {'torch acc':>10}")
for r in rows:
    k, t = r["keras"], r["torch"]
    for o in r["ours"]:
        so, sk, st = (per_epoch(x["epoch_seconds"]) for x in (o, k, t))
        print(f"{r['model']:<14} {o['profile']['kernels']:>8} {r['batch']:>5} {so:>10.3f} {sk:>11.3f} {st:>11.3f} {sk/so:>8.2f}x {st/so:>8.2f}x {o['val_accuracy']:>9.4f} {k['val_accuracy']:>10.4f} {t['val_accuracy']:>10.4f}")
print()
print(f"Where our time goes (train --profile, whole run): GFLOP/s per pass and % of the sgemm peak measured here ({peak:.0f} GFLOP/s, OpenBLAS, {sys.argv[4]} threads)")
print(f"{'model':<14} {'layer':<10} {'forward':>15} {'backward-data':>15} {'backward-weights':>17} {'share of fit':>12}  (kernels: the first row's)")
for r in rows:
    p = r["ours"][0]["profile"]
    for l in p["layers"]:
        if l["multiply_adds"]["forward"] == 0:
            continue
        def cell(x):
            return "-" if x["seconds"] == 0 else f"{x['gflops']:5.0f} ({100 * x['gflops'] / peak:3.0f} %)"
        spent = l["forward"]["seconds"] + l["inference"]["seconds"] + l["backward_s"]
        print(f"{r['model']:<14} {l['name']:<10} {cell(l['forward']):>15} {cell(l['backward_data']):>15} {cell(l['backward_weights']):>17} {100 * spent / p['fit_s']:>10.0f} %")
PY
