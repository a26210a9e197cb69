#!/usr/bin/env bash
# Accuracy across seeds: our `train` vs Keras 3 on the same data, model, batch size and
# epochs as scripts/bench/bench-train.sh, once per seed, then mean ± standard deviation of
# the final validation accuracy — is a gap between the two bigger than seed-to-seed spread?
# Usage: scripts/bench/accuracy-seeds.sh [MODEL] (mlp, hog_mlp, cnn or pneumonia_cnn; default mlp)
# Env: SEEDS (default "1 2 3 4 5"), EPOCHS (10), BATCH (128; 32 for pneumonia_cnn), SKIP_BUILD=1.
# The data are bench-train.sh's (bench_data in scripts/bench/prelude.sh; the pneumonia CNN
# uses SYNTHETIC X-rays, 1,000 train / 200 val); the seeds are a sweep of the manifest
# (bench_manifest: `[models.MODEL.sweep] seed = [...]`, runs MODEL-seedN).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
MODEL=${1:-mlp}
SEEDS=${SEEDS:-"1 2 3 4 5"}
EPOCHS=${EPOCHS:-10}
[ "$MODEL" = pneumonia_cnn ] && BATCH=${BATCH:-32}
BATCH=${BATCH:-128}
bench_venv keras pyarrow
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
bench_build
bench_machine
bench_data "$WORK" "$MODEL"
bench_manifest "$WORK/bench.toml" "$EPOCHS" "$SEEDS" "$MODEL:$BATCH"
tr=$WORK/train.parquet; va=$WORK/val.parquet
if [ "$MODEL" = pneumonia_cnn ]; then tr=$WORK/xray_train.parquet; va=$WORK/xray_val.parquet; fi
if [ "$MODEL" = hog_mlp ]; then tr=$WORK/hog_train.parquet; va=$WORK/hog_val.parquet; fi
for seed in $SEEDS; do
  "$BIN/train" --spec "$(bench_spec "$WORK/bench.toml" "$MODEL-seed$seed")" --train "$tr" --val "$va" \
    --out "$WORK/out" --quiet
  OURS=$("$BENCH_PY" -c "import pyarrow.parquet as pq, sys; print(pq.read_table(sys.argv[1]).column('val_accuracy').to_pylist()[-1])" "$WORK/out/history.parquet")
  KERAS=$("$BENCH_PY" scripts/bench/bench-train.py "$MODEL" --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$seed" 2>/dev/null | tail -1 \
    | "$BENCH_PY" -c "import json, sys; print(json.load(sys.stdin)['val_accuracy'])")
  echo "$seed $OURS $KERAS" | tee -a "$WORK/acc.txt" >&2
done
python3 - "$WORK/acc.txt" "$MODEL" "$EPOCHS" "$BATCH" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
ours = [float(r[1]) for r in rows]; keras = [float(r[2]) for r in rows]
sd = lambda v: st.stdev(v) if len(v) > 1 else 0.0
print(f"{sys.argv[2]}, {sys.argv[3]} epochs, batch {sys.argv[4]}, seeds {' '.join(r[0] for r in rows)}")
print(f"ours  {st.mean(ours):.4f} ± {sd(ours):.4f}   ({' '.join(f'{v:.4f}' for v in ours)})")
print(f"keras {st.mean(keras):.4f} ± {sd(keras):.4f}   ({' '.join(f'{v:.4f}' for v in keras)})")
print(f"difference of means {100*(st.mean(ours)-st.mean(keras)):+.2f} points")
PY
