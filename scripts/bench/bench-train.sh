#!/usr/bin/env bash
# Training speed and accuracy: our `train` vs Keras 3 (tensorflow-cpu, oneDNN on) and
# PyTorch (CPU, a plain training loop: scripts/bench/bench-train-torch.py), same data,
# architecture, optimizer (RMSprop defaults; Adam for the pneumonia CNN), batch size and
# epochs, with the validation pass every epoch, in one run on this machine.
#
# Data (bench_data in scripts/bench/prelude.sh): MNIST-10k (data/mnist-10k: 8,000 train
# / 2,000 test images, used as the validation set), ingested to Parquet with `ingest idx`;
# HOG features (orientations 8, 4x4 cells, 1x1 blocks → 392) with `features hog`.
# Models: MLP 784-30-30-10, HOG-MLP 392-100-10, the seed CNN, and the pneumonia CNN
# (train/examples/*.toml in a manifest with this run's epochs and batch_size:
# bench_manifest; the Python peers' models: scripts/bench/peers.py). The pneumonia CNN
# trains on SYNTHETIC X-ray-like JPEGs (`ingest synth-xray`: 500+500 train, 100+100
# validation, resized to 128×128 gray by `ingest folders`) with batch PNEU_BATCH: the
# 1,000-image figure.
# Env: EPOCHS (default 10), BATCH (default 128), PNEU_BATCH (default 32),
# MODELS (default "mlp hog_mlp cnn pneumonia_cnn"), SKIP_BUILD=1,
# KERAS_JIT_COMPILE (auto|0|1, passed to Keras's compile), LAB_KERNELS (our kernel path:
# avx512|avx2|neon|portable; default the fastest this CPU runs), ALSO_KERNELS (more of
# our paths to time in the same run, e.g. "avx2": one extra row each, ratio to Keras).
# Prints the machine line (CPU model), its SIMD features and the kernel path of every row.
# Seconds/epoch = mean over epochs 2..E (the first epoch of both includes warm-up:
# graph tracing for Keras); accuracy = validation accuracy after the last epoch.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
EPOCHS=${EPOCHS:-10}
BATCH=${BATCH:-128}
PNEU_BATCH=${PNEU_BATCH:-32}
MODELS=${MODELS:-"mlp hog_mlp cnn pneumonia_cnn"}
bench_venv keras pyarrow torch
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
bench_machine
echo "== SIMD features: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|amx_tile|asimd)$' | xargs)"

bench_build
bench_data "$WORK" $MODELS
runs=()
for m in $MODELS; do runs+=("$m:$([ "$m" = pneumonia_cnn ] && echo "$PNEU_BATCH" || echo "$BATCH")"); done
bench_manifest "$WORK/bench.toml" "$EPOCHS" "" "${runs[@]}"

RESULTS="$WORK/results.jsonl"
for m in $MODELS; do
  tr=$WORK/train.parquet; va=$WORK/val.parquet; batch=$BATCH
  if [ "$m" = pneumonia_cnn ]; then
    tr=$WORK/xray_train.parquet; va=$WORK/xray_val.parquet; batch=$PNEU_BATCH
  fi
  if [ "$m" = hog_mlp ]; then
    tr=$WORK/hog_train.parquet; va=$WORK/hog_val.parquet
  fi
  OURS_ALL=""
  for kernels in "${LAB_KERNELS:-}" ${ALSO_KERNELS:-}; do
    echo "bench-train: $m, ours ${kernels:-(default kernels)}…" >&2
    rm -rf "$WORK/out_$m"
    LAB_KERNELS=$kernels "$BIN/train" --spec "$(bench_spec "$WORK/bench.toml" "$m")" --train "$tr" --val "$va" \
      --out "$WORK/out_$m" --quiet \
      --profile "$WORK/profile_$m.json"
    OURS=$("$BENCH_PY" - "$WORK/out_$m/history.parquet" "$WORK/profile_$m.json" <<'PY'
import json, sys, pyarrow.parquet as pq
h = pq.read_table(sys.argv[1]).to_pydict()
profile = json.load(open(sys.argv[2]))
print(json.dumps({"epoch_seconds": h["seconds"], "val_accuracy": h["val_accuracy"][-1], "val_loss": h["val_loss"][-1], "profile": profile}))
PY
)
    OURS_ALL="$OURS_ALL${OURS_ALL:+, }$OURS"
  done
  ROWS=$("$BENCH_PY" -c "import pyarrow.parquet as pq, sys; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)" "$tr")
  echo "bench-train: $m, Keras…" >&2
  KERAS=$("$BENCH_PY" scripts/bench/bench-train.py $m --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$batch" | tail -1)
  echo "bench-train: $m, PyTorch…" >&2
  TORCH=$("$BENCH_PY" scripts/bench/bench-train-torch.py $m --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$batch" | tail -1)
  echo "{\"model\": \"$m\", \"batch\": $batch, \"rows\": $ROWS, \"ours\": [$OURS_ALL], \"keras\": $KERAS, \"torch\": $TORCH}" >> "$RESULTS"
done

# The machine's practical peak: OpenBLAS sgemm (numpy in .venv-bench) on 2048³, all cores,
# best of 5 — what the per-layer GFLOP/s below are set against.
PEAK=$(OPENBLAS_NUM_THREADS=$(nproc) "$BENCH_PY" - <<'PY'
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
