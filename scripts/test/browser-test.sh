#!/usr/bin/env bash
# The HTML report in a real browser (headless Chromium): every picture loads, the
# console stays free of errors, the table of contents leads to its headings, the page
# fits a phone; a full-page screenshot is saved for a person to look at.
#
#   bash scripts/test/browser-test.sh [BIN_DIR] [REPORT_DIR]
#
# Without REPORT_DIR it first writes a small real report: BIN_DIR/evaluate (default
# target/release) evaluates the committed fixture models (a binary network with its
# history, a ten-class scikit-learn model), and BIN_DIR/pipeline report writes the
# report of that, all under build/browser-test/ (seconds, no demo needed). With
# REPORT_DIR (e.g. `report` after `make demo`) it checks that report instead.
# Then the same report with markup in the manifest's titles and the class names,
# which must show as text and run nothing (build/browser-test/hostile/).
# Screenshot: build/browser-test/screenshot.png (-2.png, … for a long page). Chromium comes from Debian's
# `chromium` package, installed here when missing and running as root; where it
# cannot be, the test says "skipped: …" and passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release}
WORK=build/browser-test
mkdir -p "$WORK"
rm -f "$WORK"/screenshot*.png

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] && [ "$(id -u)" = 0 ]; then
  echo "browser-test: installing Debian's chromium"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
  chromium=$(command -v chromium || true)
fi
if [ -z "$chromium" ]; then
  echo "skipped: browser-test: no chromium (Debian package \`chromium\`), and it could not be installed here"
  exit 0
fi

if [ -n "${2:-}" ]; then
  REPORT=$2
else
  # Fixture stage outputs in the pipeline's layout, then the report of them.
  FIX=evaluate/tests/fixtures
  OUT=$PWD/$WORK/out
  rm -rf "$OUT" "$WORK/report"
  mkdir -p "$OUT/runs/pneumonia/model" "$OUT/runs/digits/model"
  cp "$FIX/binary/model.onnx" "$FIX/binary/history.parquet" "$OUT/runs/pneumonia/model/"
  cp "$FIX/sklearn/model.onnx" "$OUT/runs/digits/model/"
  "$BIN/evaluate" --model "$OUT/runs/pneumonia/model/model.onnx" --data "$FIX/binary-200.parquet" \
    --out "$OUT/runs/pneumonia/eval" --min-recall 0.9 >/dev/null
  "$BIN/evaluate" --model "$OUT/runs/digits/model/model.onnx" --data "$FIX/mnist-200-features.parquet" \
    --out "$OUT/runs/digits/eval" >/dev/null
  cat > "$WORK/pipeline.toml" <<EOF
# Written by scripts/test/browser-test.sh: the fixture runs above, as a manifest.
[settings]
out = "$OUT"
report = "$PWD/$WORK/report"

[datasets.xs]
kind = "synth-xray"

[datasets.xray]
kind = "folders"
from = "xs"
size = 64

[datasets.mnist]
kind = "idx"
train_images = "a.gz"
train_labels = "b.gz"
test_images = "c.gz"
test_labels = "d.gz"

[features.hog]
method = "hog"
from = "mnist"

[models.pneumonia]
title = "Binary fixture network"
data = "xray"
loss = "binary_crossentropy"
optimizer = { name = "adam" }
layers = [ { type = "flatten" }, { type = "dense", units = 1, activation = "sigmoid" } ]

[baselines.digits]
title = "Ten-class fixture model"
features = "hog"
method = "logistic"
EOF
  "$BIN/pipeline" report --manifest "$WORK/pipeline.toml" --out "$WORK/report" 2>&1
  REPORT=$WORK/report
fi

python3 scripts/test/browser_check.py "$chromium" "$REPORT/index.html" "$WORK/screenshot.png"

# A hostile report: the same outputs, with markup in the manifest's titles and in the
# class names (which come from the data: a class folder, `ingest idx --classes`).
# It must render as text: the page is checked as above, and its DOM after loading
# must show that no payload ran (no `data-pwned` on <body>, title unchanged, no
# javascript: link).
if [ -z "${2:-}" ]; then
  H=$PWD/$WORK/hostile
  rm -rf "$H" && mkdir -p "$H"
  cp -r "$OUT" "$H/out"
  python3 - "$H/out/runs/digits/eval/metrics.json" <<'PY'
import json, sys
path = sys.argv[1]
m = json.load(open(path))
payloads = ["<script>document.title='PWNED'</script>",
            "<img src='x' onerror='document.body.dataset.pwned=1'>",
            "[x](javascript:document.body.dataset.pwned=2)",
            "<svg onload='document.body.dataset.pwned=3'></svg>"]
rename = {c: f"{payloads[i % len(payloads)]}{i}" for i, c in enumerate(m["classes"])}
m["classes"] = [rename[c] for c in m["classes"]]
for row in m["per_class"]:
    row["class"] = rename.get(row["class"], row["class"])
for pair in m.get("top_confused", []):
    for k in ("true", "predicted"):
        pair[k] = rename.get(str(pair[k]), pair[k])
json.dump(m, open(path, "w"))
PY
  sed -e "s|$OUT|$H/out|; s|$PWD/$WORK/report|$H/report|" \
      -e "s|title = \"Binary fixture network\"|title = \"<script>document.title='PWNED'</script> <img src='x' onerror='document.body.dataset.pwned=4'>\"|" \
      -e "s|title = \"Ten-class fixture model\"|title = \"[click](javascript:document.body.dataset.pwned=5) <b>not bold</b> <!-- c -->\"|" \
      "$WORK/pipeline.toml" > "$H/pipeline.toml"
  "$BIN/pipeline" report --manifest "$H/pipeline.toml" --out "$H/report" 2>&1
  python3 scripts/test/browser_check.py "$chromium" "$H/report/index.html" "$H/screenshot.png"
  dom=$("$chromium" --headless --disable-gpu --no-sandbox --no-first-run --virtual-time-budget=3000 \
    --user-data-dir="$H/profile" --dump-dom "file://$H/report/index.html" 2>/dev/null)
  hostile_failed=0
  check() { # check STATUS WHAT
    if [ "$1" = 0 ]; then echo "ok - $2"; else echo "FAIL - $2"; hostile_failed=1; fi
  }
  grep -q "onerror='document.body.dataset.pwned=4'" <<<"$dom"
  check $? "hostile report: the payloads are on the page, as text"
  ! grep -q 'data-pwned=' <<<"$dom"
  check $? "hostile report: no payload ran (no data-pwned on the page)"
  ! grep -q '<title>PWNED' <<<"$dom"
  check $? "hostile report: the title is the report's"
  ! grep -qi 'href="javascript:' <<<"$dom"
  check $? "hostile report: no javascript: link"
  ! grep -q '<b>not bold</b>' <<<"$dom"
  check $? "hostile report: no HTML from the manifest"
  [ "$hostile_failed" = 0 ]
fi
