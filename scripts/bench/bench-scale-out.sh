#!/usr/bin/env bash
# What Ray adds to a stage (the table in docs/scale-out.md):
#   features hog over 70,000 Fashion-MNIST images (train + test), and
#   ingest folders over 2,000 SYNTHETIC X-ray-like JPEGs (resized to 128x128),
# each run as the plain binary (1 and 2 threads), through pipeline/ray/ray_run.py as one task
# (1 CPU), and as 2 shard tasks on the 2 one-CPU nodes of a local cluster; plus plans of
# empty tasks for the driver's start-up and the cost of one task. Every Ray run's
# output is checked to hold the plain run's rows. Times drift by up to 40 % on this
# machine: read the ratios, measured in the same run, not the seconds.
#
#   bash scripts/bench/bench-scale-out.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
need_fashion bench-scale-out
if [ "${1-}" != --inside ]; then
  bench_runtime --with ray >&2
  bench_build
  bench_machine
  exec bash scripts/test/ray-local.sh --nodes 2 --cpus 1 -- bash scripts/bench/bench-scale-out.sh --inside
fi

REPO=$PWD
BIN=$(realpath "$BIN")
FM=$(realpath "$FASHION")
PY=$REPO/.venv/bin/python
RUN="$PY $REPO/pipeline/ray/ray_run.py --address 127.0.0.1:6390 --bin $BIN"
W=$(mktemp -d /tmp/bench-scale-out.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

# The inputs: Fashion-MNIST train + test as one 70k IDX pair, and the synthetic JPEGs.
"$PY" - "$FM" <<'PY'
import gzip, struct, sys
fm = sys.argv[1]
def idx(name):
    return gzip.open(f"{fm}/{name}", "rb").read()
imgs = [idx("train-images-idx3-ubyte.gz"), idx("t10k-images-idx3-ubyte.gz")]
labs = [idx("train-labels-idx1-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")]
n = sum(struct.unpack(">I", b[4:8])[0] for b in imgs)
open("fm-images.idx", "wb").write(imgs[0][:4] + struct.pack(">I", n) + imgs[0][8:16] + b"".join(b[16:] for b in imgs))
open("fm-labels.idx", "wb").write(labs[0][:4] + struct.pack(">I", n) + b"".join(b[8:] for b in labs))
PY
"$BIN/ingest" --quiet idx --images fm-images.idx --labels fm-labels.idx --out fm.parquet >/dev/null
"$BIN/ingest" --quiet synth-xray --out xs --train 1000 --val 1 --test 1 --seed 3 >/dev/null

now() { date +%s.%N; }
secs() { "$PY" -c "print(f'{$2 - $1:.2f}')"; }

# plan NAME "ARGV-JSON-LIST-OF-COMMANDS" OUTPUT [CPUS]...: a lab-plan/1 file of independent nodes.
plan() {
  local file=$1; shift
  "$PY" - "$file" "$@" <<'PY'
import json, sys
file, rest = sys.argv[1], sys.argv[2:]
nodes = []
for i in range(0, len(rest), 2):
    argv, out = json.loads(rest[i]), rest[i + 1]
    nodes.append({"id": f"n{i // 2}", "comment": " ".join(argv), "commands": [argv],
                  "inputs": [], "outputs": [out], "after": [], "cpus": 1})
json.dump({"format": "lab-plan/1", "manifest": "pipeline.toml", "shards": 1, "nodes": nodes}, open(file, "w"))
PY
}

# One stage, four ways. $1 name, $2 output base, then the stage's argv (as JSON list items).
declare -A T
measure() {
  local name=$1 out=$2 args=$3 t0
  rm -rf "$out"*
  t0=$(now); RAYON_NUM_THREADS=1 "$BIN"/$(echo "$args" | "$PY" -c 'import json,sys; a=json.loads(sys.stdin.read()); print(" ".join(a))' | sed "s|OUT|$out.plain1|") >/dev/null 2>&1
  T[$name,plain1]=$(secs "$t0" "$(now)")
  t0=$(now); RAYON_NUM_THREADS=2 "$BIN"/$(echo "$args" | "$PY" -c 'import json,sys; a=json.loads(sys.stdin.read()); print(" ".join(a))' | sed "s|OUT|$out.plain2|") >/dev/null 2>&1
  T[$name,plain2]=$(secs "$t0" "$(now)")
  plan one.json "$(echo "$args" | sed "s|OUT|$out.ray1|")" "$out.ray1"
  t0=$(now); $RUN --plan one.json >ray1.log 2>&1
  T[$name,ray1]=$(secs "$t0" "$(now)")
  plan two.json "$(echo "$args" | sed "s|OUT|$out.ray2|; s|\]$|, \"--shard\", \"0/2\"]|")" "$out.ray2/part-00000.parquet" \
                "$(echo "$args" | sed "s|OUT|$out.ray2|; s|\]$|, \"--shard\", \"1/2\"]|")" "$out.ray2/part-00001.parquet"
  t0=$(now); $RUN --plan two.json >ray2.log 2>&1
  T[$name,ray2]=$(secs "$t0" "$(now)")
  "$PY" - "$out" <<'PY'
import glob, os, sys
import pyarrow as pa, pyarrow.parquet as pq
base = sys.argv[1]
def table(p):
    files = sorted(glob.glob(os.path.join(p, "part-*.parquet"))) if os.path.isdir(p) else [p]
    return pa.concat_tables([pq.read_table(f) for f in files])
ref = table(base + ".plain1")
for other in ("plain2", "ray1", "ray2"):
    t = table(f"{base}.{other}")
    assert t.equals(ref) and t.schema.metadata == ref.schema.metadata, f"{other} differs from plain1"
print(f"  {base}: {ref.num_rows} rows, the same in all four runs")
PY
}

measure hog hog '["features", "hog", "--in", "fm.parquet", "--out", "OUT", "--orientations", "9", "--pixels-per-cell", "4x4", "--cells-per-block", "2x2"]'
measure folders xray '["ingest", "--quiet", "folders", "--root", "xs/train", "--out", "OUT", "--size", "128x128"]'

# Empty tasks: the driver's start-up (1 task), and the cost of each further task (40).
mkdir -p noop
plan noop1.json '["touch", "noop/a"]' noop/a
t0=$(now); $RUN --plan noop1.json >noop1.log 2>&1; one=$(secs "$t0" "$(now)")
args=()
for i in $(seq 40); do args+=("[\"touch\", \"noop/$i\"]" "noop/$i"); done
plan noop40.json "${args[@]}"
t0=$(now); $RUN --plan noop40.json >noop40.log 2>&1; forty=$(secs "$t0" "$(now)")
per_task=$("$PY" -c "print(f'{($forty - $one) / 39 * 1000:.0f}')")

echo
echo "| stage | plain, 1 thread | plain, 2 threads | Ray, 1 task (1 CPU) | Ray, 2 shards (2 nodes × 1 CPU) | Ray 1 task / plain 1 thread | Ray 2 shards / plain 2 threads |"
echo "|---|---|---|---|---|---|---|"
for s in hog folders; do
  r1=$("$PY" -c "print(f'{${T[$s,ray1]} / ${T[$s,plain1]}:.2f}')")
  r2=$("$PY" -c "print(f'{${T[$s,ray2]} / ${T[$s,plain2]}:.2f}')")
  label=$([ $s = hog ] && echo "features hog, 70k Fashion-MNIST" || echo "ingest folders, 2,000 SYNTHETIC JPEGs")
  echo "| $label | ${T[$s,plain1]} s | ${T[$s,plain2]} s | ${T[$s,ray1]} s | ${T[$s,ray2]} s | ${r1}× | ${r2}× |"
done
echo
echo "ray_run with 1 empty task: $one s (driver start-up: connect, plan, one task); with 40: $forty s, so ${per_task} ms per further task on 2 one-CPU nodes"
