# What every benchmark shares; sourced (from the repository root) by each
# scripts/bench/*.sh, and by scripts/setup/setup.sh for the data paths. Sourcing it only
# defines; nothing runs until a function is called.
#
#   FASHION, MNIST10K   the data: full Fashion-MNIST (Debian package dataset-fashion-mnist,
#                       which `scripts/setup/setup.sh --with fashion` installs; FASHION_DIR
#                       overrides) and
#                       the embedded MNIST-10k
#   BIN                 the stage binaries (CARGO_TARGET_DIR/release, default target/release)
#   BENCH_PY            the Python of the peers (.venv-bench: TensorFlow, PyTorch, …)
#   bench_build         the one build: cargo build --release --workspace (SKIP_BUILD=1 skips
#                       it and uses the binaries already there, e.g. while the build lock is
#                       busy). Every benchmark, its Rust helper included (features' bench_hog
#                       binary), runs what this builds: `-p X` or `--example` would resolve
#                       features anew and rebuild arrow and parquet.
#   bench_machine       prints the machine line, "== machine: N cores, CPU MODEL", once
#   bench_venv, bench_runtime [--with ray]   install .venv-bench / .venv (with ray) if they
#                       are not there yet
#   need_fashion NAME   stops with the package to install when Fashion-MNIST is missing
#   bench_data WORK MODEL...    the training benchmarks' data, in WORK
#   bench_manifest FILE EPOCHS SEEDS MODEL:BATCH...   their manifest
FASHION=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
MNIST10K=data/mnist-10k
BIN=${CARGO_TARGET_DIR:-target}/release
BENCH_PY=.venv-bench/bin/python

bench_build() {
  [ -n "${SKIP_BUILD:-}" ] || cargo build --release --workspace -q
}

bench_machine() {
  [ -z "${BENCH_MACHINE_SHOWN:-}" ] || return 0
  export BENCH_MACHINE_SHOWN=1
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}

# bench_venv [MODULE...]: .venv-bench, set up when it cannot import the modules (all of
# scripts/setup/setup-bench.sh when none are named).
bench_venv() {
  if [ $# = 0 ] || ! "$BENCH_PY" -c "import $(IFS=,; echo "$*")" 2>/dev/null; then
    bash scripts/setup/setup-bench.sh
  fi
}

bench_runtime() {
  bash scripts/setup/setup.sh "$@"
}

need_fashion() {
  local f
  for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -f "$FASHION/$f" ] || { echo "$1: $FASHION/$f missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
  done
}

# bench_data WORK MODEL...: MNIST-10k as WORK/train.parquet (8,000) and WORK/val.parquet
# (the 2,000 test images, the validation set); for hog_mlp their HOG features (the lab's:
# orientations 8, 4x4 cells, 1x1 blocks → 392) as WORK/hog_{train,val}.parquet; for
# pneumonia_cnn SYNTHETIC X-ray-like JPEGs (500+500 train, 100+100 val) resized to 128x128
# gray as WORK/xray_{train,val}.parquet.
bench_data() {
  local work=$1 s; shift
  "$BIN/ingest" idx --images $MNIST10K/train-images-idx3-ubyte.gz --labels $MNIST10K/train-labels-idx1-ubyte.gz --out "$work/train.parquet" >/dev/null 2>&1
  "$BIN/ingest" idx --images $MNIST10K/t10k-images-idx3-ubyte.gz --labels $MNIST10K/t10k-labels-idx1-ubyte.gz --out "$work/val.parquet" >/dev/null 2>&1
  if [[ " $* " == *" hog_mlp "* ]]; then
    for s in train val; do
      "$BIN/features" hog --in "$work/$s.parquet" --out "$work/hog_$s.parquet" \
        --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 >/dev/null 2>&1
    done
  fi
  if [[ " $* " == *" pneumonia_cnn "* ]]; then
    "$BIN/ingest" synth-xray --out "$work/xray" --train 500 --val 100 --test 0 --min-size 300 --max-size 600 --quiet
    for s in train val; do
      "$BIN/ingest" folders --root "$work/xray/$s" --out "$work/xray_$s.parquet" --size 128x128 --quiet
    done
  fi
}

# bench_manifest FILE EPOCHS SEEDS MODEL:BATCH...: a pipeline manifest (docs/pipeline.md)
# beside bench_data's files: those files as datasets (`mnist`, `hog`, `xray`; each run is
# validated and evaluated on `val`), and each MODEL as train/examples/MODEL.toml on its
# dataset with `epochs = EPOCHS` and `batch_size = BATCH`. SEEDS ("1 2 3", or "" for
# none) becomes `[models.MODEL.sweep] seed = [1, 2, 3]`: runs MODEL-seed1, … `pipeline
# make` then writes each run's spec as WORKDIR/out/specs/RUN.toml (`bench_spec RUN`), for
# `train --spec`.
bench_manifest() {
  python3 - "$@" <<'PY'
import json, os, re, sys, tomllib
path, epochs, seeds, models = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
work = os.path.dirname(os.path.abspath(path))

def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"

def key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)

out = ['[evaluation]', 'split = "val"']
for name, prefix in (("mnist", ""), ("hog", "hog_"), ("xray", "xray_")):
    if os.path.exists(os.path.join(work, f"{prefix}train.parquet")):
        out += ["", f"[datasets.{name}]", 'kind = "parquet"',
                f'train = "{prefix}train.parquet"', f'val = "{prefix}val.parquet"']
data = {"hog_mlp": "hog", "pneumonia_cnn": "xray"}
for m in models:
    model, batch = m.split(":")
    with open(f"train/examples/{model}.toml", "rb") as f:
        spec = tomllib.load(f)
    spec.update(epochs=epochs, batch_size=int(batch))
    out += ["", f"[models.{model}]", f'data = "{data.get(model, "mnist")}"']
    out += [f"{key(k)} = {value(v)}" for k, v in spec.items()]
    if seeds:
        out += ["", f"[models.{model}.sweep]", f"seed = [{', '.join(seeds)}]"]
with open(path, "w") as f:
    f.write("\n".join(out) + "\n")
PY
  local bin
  bin=$(cd "$BIN" && pwd)
  (cd "$(dirname "$1")" && "$bin/pipeline" make --manifest "$(basename "$1")" > /dev/null)
}

# bench_spec FILE RUN: the spec file of run RUN of bench_manifest's FILE.
bench_spec() {
  echo "$(dirname "$1")/out/specs/$2.toml"
}
