#!/usr/bin/env bash
# The bad-input matrix: every case runs one stage binary on one bad input
# and must end with exit status 1, exactly one line on stderr, and no new file in the
# output tree. Run by `make test` after the cargo tests (it needs target/release/*).
#
#   bash scripts/test/bad-inputs.sh [BIN_DIR]     (default: target/release)
#   BAD_INPUTS_VERBOSE=1 bash scripts/test/bad-inputs.sh   (also print every case's message)
#
# The cases of this file, then those of scripts/test/bad-inputs/*.sh (one file per area).
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release}
FIX=evaluate/tests/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OUT="$T/out" # every output of every case points in here; it must stay empty
mkdir -p "$OUT" "$T/in"

# --- inputs -------------------------------------------------------------------------
MNIST=data/mnist-10k
echo "not a dataset" > "$T/in/text.parquet"
head -c 2000 "$FIX/mnist-200.parquet" > "$T/in/truncated.parquet"
gzip -dc "$MNIST/train-images-idx3-ubyte.gz" | head -c 5000 | gzip > "$T/in/truncated-images.gz"
printf 'not a model' > "$T/in/garbage.onnx"
mkdir -p "$T/in/tree/A" "$T/in/tree/B" "$T/in/empty-class/A" "$T/in/empty-class/B"
python3 - "$T/in" <<'EOF'
import struct, sys, zlib
def png(path, w=8, h=8):
    raw = b''.join(b'\x00' + bytes((x * 16) % 256 for x in range(w)) for _ in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
                           + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
d = sys.argv[1]
for p in ['tree/A/1.png', 'tree/B/1.png', 'empty-class/A/1.png']:
    png(f'{d}/{p}')
EOF
mkdir -p "$T/in/fifo/A" "$T/in/fifo/B" && cp "$T/in/tree/A/1.png" "$T/in/fifo/A/" && cp "$T/in/tree/B/1.png" "$T/in/fifo/B/"
mkfifo "$T/in/fifo/B/pipe.png"
spec() { # a valid MLP spec with a sed edit applied; prints its path
  local f
  f=$(mktemp "$T/in/spec-XXXXXX.toml")
  sed "$1" train/examples/mlp.toml > "$f"
  echo "$f"
}
GOOD_SPEC=train/examples/mlp.toml
manifest() { # a one-model manifest in its own directory, with an extra line
  local dir
  dir=$(mktemp -d "$T/in/m-XXXXXX")
  cat > "$dir/pipeline.toml" <<EOF
$1
[datasets.d]
kind = "parquet"
train = "$PWD/$FIX/mnist-200.parquet"
test = "$PWD/$FIX/mnist-200.parquet"

[models.m]
data = "d"
loss = "categorical_crossentropy"
layers = [{ type = "flatten" }, { type = "dense", units = 10, activation = "softmax" }]
$2
EOF
  echo "$dir/pipeline.toml"
}

# --- the matrix: name | command ---------------------------------------------------
S_EPOCHS=$(spec 's/^epochs = .*/epochs = 0/')
S_LR=$(spec 's/^name = "rmsprop"/name = "rmsprop"\nlearning_rate = inf/')
S_UNITS=$(spec '0,/units = 30/s//units = 0/')
M_NONE=$(manifest '' '')
M_TOML=$(manifest '[settings' '')
M_KEY=$(manifest '' 'epoch = 3')
M_NL=$(manifest '' 'name = "a\nb"')
M_OUT=$(manifest $'[settings]\nout = "/tmp/elsewhere"' '')
M_LR=$(manifest '' 'optimizer = { name = "sgd", learning_rate = 0 }')
mkdir -p "$T/in/badfile/A" "$T/in/badfile/B"
cp "$T/in/tree/A/1.png" "$T/in/badfile/A/" && cp "$T/in/text.parquet" "$T/in/badfile/B/2.png"

declare -a NAMES CMDS LINES
# case_ NAME COMMAND [STDERR_LINES]: one line unless a case says otherwise.
case_() { NAMES+=("$1"); CMDS+=("$2"); LINES+=("${3:-1}"); }
I="$BIN/ingest"; F="$BIN/features"; TR="$BIN/train"; E="$BIN/evaluate"; P="$BIN/pipeline"
IMG=$MNIST/train-images-idx3-ubyte.gz; LBL=$MNIST/train-labels-idx1-ubyte.gz
TLBL=$MNIST/t10k-labels-idx1-ubyte.gz

case_ "ingest idx: images file missing"        "$I idx --images \"$T/in/none.gz\" --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: images not IDX"             "$I idx --images \"$T/in/text.parquet\" --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: truncated gzip"             "$I idx --images \"$T/in/truncated-images.gz\" --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: images/labels count differ" "$I idx --images $IMG --labels $TLBL --out \"$OUT/a.parquet\""
case_ "ingest idx: val fraction 0"             "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction 0 --val-out \"$OUT/v.parquet\""
case_ "ingest idx: val fraction without out"   "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction 0.5"
case_ "ingest idx: too few class names"        "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --classes a,b"
case_ "ingest idx: out == val-out"             "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction 0.1 --val-out \"$OUT/a.parquet\""
case_ "ingest folders: root missing"           "$I folders --root \"$T/in/none\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: root is a file"         "$I folders --root \"$T/in/text.parquet\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: empty class folder"     "$I folders --root \"$T/in/empty-class\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: a FIFO"                 "$I folders --root \"$T/in/fifo\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: text file as image"     "$I folders --root $T/in/badfile --out $OUT/f.parquet --size 8x8"
case_ "ingest synth-xray: sides too small"     "$I synth-xray --out \"$OUT/x\" --min-size 10"
case_ "ingest synth-xray: ratio 0"             "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio 0"
case_ "ingest synth-xray: quality 0"           "$I synth-xray --out \"$OUT/x\" --quality 0"
case_ "ingest synth-xray: nothing to make"     "$I synth-xray --out \"$OUT/x\" --train 0 --val 0 --test 0"
case_ "features hog: input missing"            "$F hog --in \"$T/in/none.parquet\" --out \"$OUT/h.parquet\""
case_ "features hog: input not Parquet"        "$F hog --in \"$T/in/text.parquet\" --out \"$OUT/h.parquet\""
case_ "features hog: truncated Parquet"        "$F hog --in \"$T/in/truncated.parquet\" --out \"$OUT/h.parquet\""
case_ "features hog: orientations 0"           "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --orientations 0"
case_ "features hog: cell 0x4"                 "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --pixels-per-cell 0x4"
case_ "features hog: unknown block norm"       "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --block-norm L3"
case_ "features hog: cell larger than image"   "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --pixels-per-cell 64"
case_ "features hog: pictures without dir"     "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --visualize 3"
case_ "features hog: a feature dataset"        "$F hog --in $FIX/mnist-200-features.parquet --out \"$OUT/h.parquet\""
case_ "features pixels: input not Parquet"     "$F pixels --in \"$T/in/text.parquet\" --out \"$OUT/p.parquet\""
case_ "train: spec missing"                    "$TR --spec \"$T/in/none.toml\" --train $FIX/mnist-200.parquet --out \"$OUT/t\""
case_ "train: spec not TOML"                   "$TR --spec \"$T/in/text.parquet\" --train $FIX/mnist-200.parquet --out \"$OUT/t\""
case_ "train: epochs 0"                        "$TR --spec $S_EPOCHS --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: learning rate inf"               "$TR --spec $S_LR --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: units 0"                         "$TR --spec $S_UNITS --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: training data missing"           "$TR --spec $GOOD_SPEC --train \"$T/in/none.parquet\" --out \"$OUT/t\""
case_ "train: training data not Parquet"       "$TR --spec $GOOD_SPEC --train \"$T/in/text.parquet\" --out \"$OUT/t\""
case_ "train: truncated training data"         "$TR --spec $GOOD_SPEC --train \"$T/in/truncated.parquet\" --out \"$OUT/t\""
case_ "train: validation of another kind"      "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --val $FIX/mnist-200-features.parquet --out \"$OUT/t\""
case_ "train: baseline on missing data"        "$TR --baseline logistic --train \"$T/in/none.parquet\" --out \"$OUT/t\""
case_ "train: manifest without that model"     "$TR --manifest $M_NONE --model nope --out $OUT/t"
case_ "evaluate: model missing"                "$E --model \"$T/in/none.onnx\" --data $FIX/mnist-200.parquet --out \"$OUT/e\""
case_ "evaluate: model not ONNX"               "$E --model \"$T/in/garbage.onnx\" --data $FIX/mnist-200.parquet --out \"$OUT/e\""
case_ "evaluate: data missing"                 "$E --model $FIX/binary/model.onnx --data \"$T/in/none.parquet\" --out \"$OUT/e\""
case_ "evaluate: data not Parquet"             "$E --model $FIX/binary/model.onnx --data \"$T/in/text.parquet\" --out \"$OUT/e\""
case_ "evaluate: scale NaN"                    "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --scale NaN"
case_ "evaluate: threshold 2"                  "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --threshold 2"
case_ "evaluate: batch size 0"                 "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --batch-size 0"
case_ "evaluate: model fails at run time"      "$E --model $FIX/fails-at-run.onnx --data $FIX/mnist-200-features.parquet --out \"$OUT/e\""
case_ "evaluate: NaN scores"                   "$E --model $FIX/nan-scores.onnx --data $FIX/mnist-200-features.parquet --out \"$OUT/e\""
case_ "evaluate: model/data class mismatch"    "$E --model $FIX/binary/model.onnx --data $FIX/mnist-200.parquet --out \"$OUT/e\""
case_ "evaluate compare: not an evaluation"    "$E compare \"$T/in\" --out \"$OUT/c\""
case_ "pipeline make: manifest missing"        "$P make --manifest \"$T/in/none.toml\""
# A TOML syntax error also shows the line, with a caret under the column.
case_ "pipeline make: invalid TOML"            "$P make --manifest $M_TOML" 4
case_ "pipeline make: unknown model key"       "$P make --manifest $M_KEY"
case_ "pipeline make: newline in a value"      "$P make --manifest $M_NL"
case_ "pipeline make: out outside"             "$P make --manifest $M_OUT"
case_ "pipeline make: learning rate 0"         "$P make --manifest $M_LR"
case_ "pipeline report: manifest missing"      "$P report --manifest \"$T/in/none.toml\" --out \"$OUT/r\""

# More cases, one file per area (they use case_, spec, manifest, $T, $OUT and the
# binaries above).
for cases in scripts/test/bad-inputs/*.sh; do
  [ -e "$cases" ] || continue
  # shellcheck source=/dev/null
  source "$cases"
done

# --- run ----------------------------------------------------------------------------
passed=0
failed=0
for i in "${!NAMES[@]}"; do
  stderr=$(eval "${CMDS[$i]}" 2>&1 >/dev/null </dev/null)
  rc=$?
  lines=$(printf '%s' "$stderr" | grep -c '')
  left=$(find "$OUT" -mindepth 1 | head -3)
  [ -n "${BAD_INPUTS_VERBOSE:-}" ] && printf "%s\n    %s\n" "${NAMES[$i]}" "$stderr"
  if [ "$rc" = 1 ] && [ "$lines" = "${LINES[$i]}" ] && [ -z "$left" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: ${NAMES[$i]}: exit $rc, $lines stderr lines, left: ${left:-nothing}" >&2
    printf '%s\n' "$stderr" | head -5 | sed 's/^/    /' >&2
  fi
  rm -rf "${OUT:?}"/* "$OUT"/.[!.]* 2>/dev/null
done
echo "bad-inputs: ${#NAMES[@]} cases over ingest, features, train, evaluate and pipeline"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
