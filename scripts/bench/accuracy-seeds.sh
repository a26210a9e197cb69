#!/usr/bin/env bash
# Accuracy across seeds: our `train` vs Keras 3 on the same data, model, batch size and
# epochs as scripts/bench/bench-train.sh, once per seed, then mean ± standard deviation of the
# final validation accuracy — is a gap between the two bigger than seed-to-seed spread?
# Usage: scripts/bench/accuracy-seeds.sh [MODEL] (mlp, hog_mlp, cnn or pneumonia_cnn; default mlp)
# Env: SEEDS (default "1 2 3 4 5"), EPOCHS (10), BATCH (128; 32 for pneumonia_cnn), SKIP_BUILD=1.
# The pneumonia CNN uses SYNTHETIC X-rays, as in bench-train.sh (1,000 train / 200 val).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-mlp}
SEEDS=${SEEDS:-"1 2 3 4 5"}
EPOCHS=${EPOCHS:-10}
[ "$MODEL" = pneumonia_cnn ] && BATCH=${BATCH:-32}
BATCH=${BATCH:-128}
if ! .venv-bench/bin/python -c "import keras, pyarrow" 2>/dev/null; then bash scripts/setup/setup-bench.sh; fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p ingest -p features -p train
D=data/mnist-10k
target/release/ingest idx --images $D/train-images-idx3-ubyte.gz --labels $D/train-labels-idx1-ubyte.gz --out "$WORK/train.parquet" >/dev/null 2>&1
target/release/ingest idx --images $D/t10k-images-idx3-ubyte.gz --labels $D/t10k-labels-idx1-ubyte.gz --out "$WORK/val.parquet" >/dev/null 2>&1
tr=$WORK/train.parquet; va=$WORK/val.parquet
if [ "$MODEL" = pneumonia_cnn ]; then
  target/release/ingest synth-xray --out "$WORK/xray" --train 500 --val 100 --test 0 --min-size 300 --max-size 600 --quiet
  for s in train val; do
    target/release/ingest folders --root "$WORK/xray/$s" --out "$WORK/xray_$s.parquet" --size 128x128 --quiet >/dev/null 2>&1
  done
  tr=$WORK/xray_train.parquet; va=$WORK/xray_val.parquet
fi
if [ "$MODEL" = hog_mlp ]; then
  for s in train val; do
    target/release/features hog --in "$WORK/$s.parquet" --out "$WORK/hog_$s.parquet" \
      --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 >/dev/null 2>&1
  done
  tr=$WORK/hog_train.parquet; va=$WORK/hog_val.parquet
fi
for seed in $SEEDS; do
  sed -e "s/^epochs = .*/epochs = $EPOCHS/" -e "s/^batch_size = .*/batch_size = $BATCH/" -e "s/^seed = .*/seed = $seed/" \
    train/examples/$MODEL.toml > "$WORK/spec.toml"
  target/release/train --spec "$WORK/spec.toml" --train "$tr" --val "$va" --out "$WORK/out" --quiet
  OURS=$(.venv-bench/bin/python -c "import pyarrow.parquet as pq, sys; print(pq.read_table(sys.argv[1]).column('val_accuracy').to_pylist()[-1])" "$WORK/out/history.parquet")
  KERAS=$(.venv-bench/bin/python scripts/bench/bench-train.py "$MODEL" --train "$tr" --val "$va" --epochs "$EPOCHS" --batch-size "$BATCH" --seed "$seed" 2>/dev/null | tail -1 \
    | .venv-bench/bin/python -c "import json, sys; print(json.load(sys.stdin)['val_accuracy'])")
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
