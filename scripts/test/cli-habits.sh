#!/usr/bin/env bash
# The five binaries keep the same habits (docs/architecture.md, "Output habits"):
#   --version and --help with examples, none wrapped at 80 or 100 columns;
#   the summary (the result) on stdout, progress and warnings on stderr;
#   --json prints the summary as one JSON document on stdout;
#   --quiet prints nothing at all on success.
# Runs each stage once per mode on the embedded MNIST-10k test split.
#
#   bash scripts/test/cli-habits.sh [BIN]     # BIN defaults to target/release
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release}
PY=.venv/bin/python
T=$(mktemp -d /tmp/cli-habits.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $1"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
is_json() { "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

for b in ingest features train evaluate pipeline; do
  check "$b --version" grep -q "^$b [0-9]" <("$BIN/$b" --version)
  check "$b --help has examples" grep -q "^Examples:" <("$BIN/$b" --help)
done

# Examples paste as they read: clap wraps help text at the terminal's width (at most
# 100 columns), keeping a line's indentation, so each line of the Examples block must
# still start a command of BINARY (after VAR=value words), start a `#` comment, or
# continue a line that ends in `\`, at 80 columns and at 100.
# examples_unwrapped BINARY < HELP
examples_unwrapped() {
  awk -v bin="$1" '/^Examples:/ { e = 1; next }
       e && /^$/ { e = 0 }
       e && !cont && !($0 ~ "^  ([A-Z_]+=[^ ]* )*" bin " ") && !/^  # / { bad = 1; print "    | " $0 }
       { cont = /\\$/ }
       END { exit bad }'
}
for cmd in "ingest" "ingest idx" "ingest folders" "ingest synth-xray" "features" \
    "features hog" "features pixels" "train" "evaluate" "evaluate compare" \
    "evaluate merge" "pipeline" "pipeline make" "pipeline plan" "pipeline run" \
    "pipeline show" "pipeline dvc" "pipeline report"; do
  for cols in 80 100; do
    # shellcheck disable=SC2086 # $cmd is a binary and its subcommand
    check "$cmd --help at $cols columns: examples unwrapped" \
      examples_unwrapped "${cmd%% *}" < <(COLUMNS=$cols "$BIN"/$cmd --help)
  done
done

cat >"$T/spec.toml" <<'EOF'
loss = "categorical_crossentropy"
epochs = 1
layers = [ { type = "flatten" }, { type = "dense", units = 10, activation = "softmax" } ]
EOF
IMG=data/mnist-10k/t10k-images-idx3-ubyte.gz LAB=data/mnist-10k/t10k-labels-idx1-ubyte.gz
# stage NAME ARGS…: the stage with --json, with --quiet, and plain; OUT is replaced per mode.
stage() {
  local name=$1; shift
  for mode in json quiet plain; do
    local flag=() out="$T/$name-$mode"
    [ $mode = plain ] || flag=(--$mode)
    "$BIN"/"${@//OUT/$out}" "${flag[@]}" >"$T/stdout" 2>"$T/stderr"
    local status=$?
    check "$name $mode: exit 0" [ $status = 0 ]
    case $mode in
      json) check "$name --json: stdout is one JSON document" is_json "$T/stdout" ;;
      quiet) check "$name --quiet: nothing on stdout or stderr" eval '[ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ]' ;;
      plain) check "$name: the summary is on stdout" test -s "$T/stdout" ;;
    esac
  done
}
stage ingest ingest idx --images "$IMG" --labels "$LAB" --out OUT
"$BIN/ingest" --quiet idx --images "$IMG" --labels "$LAB" --out "$T/data.parquet"
stage features features pixels --in "$T/data.parquet" --out OUT
stage train train --spec "$T/spec.toml" --train "$T/data.parquet" --out OUT
stage evaluate evaluate --model "$T/train-plain/model.onnx" --data "$T/data.parquet" --out OUT

echo "cli-habits: $passed passed, $failed failed"
[ "$failed" = 0 ]
