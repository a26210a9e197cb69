# shellcheck shell=bash
# Bad inputs of `pipeline`: hostile manifests (links out of the manifest's directory,
# names too long for a file, numbers without end, clashing names) and hostile stage
# outputs for the report. Sourced by scripts/test/bad-inputs.sh (case_, manifest, $T,
# $OUT, $P). Outputs that could be written point into $OUT, which must stay empty.

LONG300=$(printf 'v%.0s' $(seq 300))
LONG150=$(printf 'd%.0s' $(seq 150))
SPLIT150=$(printf 's%.0s' $(seq 150))
ANYWHERE=$(printf '[settings]\nout = "%s/o"\nreport = "%s/r"' "$OUT" "$OUT")
IDX=$'[datasets.i]\nkind = "idx"\ntrain_images = "a.gz"\ntrain_labels = "b.gz"'

# Output roots that lead out of the manifest's directory through a symbolic link.
mkdir -p "$T/in/elsewhere"
PM_LINK_OUT=$(manifest '' '')
ln -s "$T/in/elsewhere" "$(dirname "$PM_LINK_OUT")/out"
PM_LINK_REPORT=$(manifest $'[settings]\nreport = "reports/latest"' '')
ln -s "$T/in/elsewhere" "$(dirname "$PM_LINK_REPORT")/reports"
PM_DANGLING=$(manifest '' '')
ln -s "$T/in/nowhere" "$(dirname "$PM_DANGLING")/out"
PM_LINK_ABS=$(manifest '' '')
ln -s "$T/in/elsewhere" "$(dirname "$PM_LINK_ABS")/linked"
sed -i "1i [settings]\nout = \"$(dirname "$PM_LINK_ABS")/linked/out\"" "$PM_LINK_ABS"
PM_DOTDOT=$(manifest $'[settings]\nout = "build/../../x"' '')
PM_SELF=$(manifest $'[settings]\nout = "."' '')
PM_REPORT_ABS=$(manifest $'[settings]\nreport = "/etc"' '')

# Names too long for a file (checked before anything is written; outputs in $OUT).
PM_LONG_VARIANT=$(manifest "$ANYWHERE" $'[models.m.variants.'"$LONG300"$']\nepochs = 2')
PM_LONG_MODEL=$(manifest "$ANYWHERE" '')
sed -i "s/^\[models\.m\]/[models.$LONG300]/" "$PM_LONG_MODEL"
PM_LONG_DATASET=$(manifest "$ANYWHERE" '')
sed -i "s/^\[datasets\.d\]/[datasets.$LONG300]/; s/^data = \"d\"/data = \"$LONG300\"/" "$PM_LONG_DATASET"
PM_LONG_PAIR=$(manifest "$ANYWHERE"$'\n[datasets.'"$LONG150"$']\nkind = "folders"\nroot = "r"\nsize = 8\nsplits = ["train", "test", "'"$SPLIT150"$'"]' '')
PM_LONG_SWEEP=$(manifest "$ANYWHERE" $'[models.m.sweep]\noptimizer.name = ["'"$LONG300"$'"]')

# Numbers without a bound.
PM_EPOCHS=$(manifest '' 'epochs = 100001')
PM_BATCH=$(manifest '' 'batch_size = 1048577')
PM_SWEEP_EPOCHS=$(manifest '' $'[models.m.sweep]\nepochs = [5, 999999999]')
PM_EVAL_BATCH=$(manifest $'[evaluation]\nbatch_size = 0' '')
PM_EVAL_HUGE=$(manifest $'[evaluation]\nbatch_size = 9223372036854775807' '')
PM_TOO_BIG=$(manifest '' 'epochs = 99999999999999999999')
PM_VAL_HUGE=$(manifest "$IDX"$'\nval_fraction = 1e308' '')
PM_VAL_NAN=$(manifest "$IDX"$'\nval_fraction = nan' '')
PM_SEED=$(manifest "$IDX"$'\nseed = -1' '')
PM_SYNTH=$(manifest $'[datasets.x]\nkind = "synth-xray"\ntrain = 10000000' '')
PM_SIDE=$(manifest $'[datasets.x]\nkind = "synth-xray"\nmax_size = 100000' '')
PM_CHANNELS=$(manifest $'[datasets.f]\nkind = "folders"\nroot = "r"\nsize = 8\nchannels = 4' '')
PM_THRESHOLD=$(manifest '' 'evaluation = { threshold = 1.5 }')

# Names: clashes, reserved words, characters a file or make target cannot carry.
PM_CLASH=$(manifest $'[datasets.m]\nkind = "parquet"\ntrain = "x.parquet"' '')
PM_TWICE=$(manifest '' $'[models.m.variants.epochs40]\nepochs = 40\n[models.m.sweep]\nepochs = [40]')
PM_RESERVED=$(manifest '' '')
sed -i 's/^\[models\.m\]/[models.report]/' "$PM_RESERVED"
PM_SLASH=$(manifest '' '')
sed -i 's/^\[models\.m\]/[models."a\/b"]/' "$PM_SLASH"
PM_DOT=$(manifest '' '')
sed -i 's/^\[models\.m\]/[models.".hidden"]/' "$PM_DOT"
PM_TITLE=$(manifest '' 'title = 5')
PM_DANGLING_DATA=$(manifest '' '')
sed -i 's/^data = "d"/data = "nope"/' "$PM_DANGLING_DATA"

# The report: a picture that is a symbolic link (to /etc/passwd) is refused.
REP="$T/in/report-links"
mkdir -p "$REP/out/runs/m/eval"
ln -s /etc/passwd "$REP/out/runs/m/eval/confusion.png"
PM_REPORT_LINK="$REP/pipeline.toml"
sed "1i [settings]\nout = \"$REP/out\"" "$(manifest '' '')" > "$PM_REPORT_LINK"
REP2="$T/in/report-fifo"
mkdir -p "$REP2/out/runs/m/eval"
mkfifo "$REP2/out/runs/m/eval/confusion.png"
PM_REPORT_FIFO="$REP2/pipeline.toml"
sed "1i [settings]\nout = \"$REP2/out\"" "$(manifest '' '')" > "$PM_REPORT_FIFO"

case_ "pipeline make: out is a symlink out of the manifest dir"  "$P make --manifest $PM_LINK_OUT"
case_ "pipeline make: report under a symlink out of it"          "$P make --manifest $PM_LINK_REPORT"
case_ "pipeline make: out is a dangling symlink"                 "$P make --manifest $PM_DANGLING"
case_ "pipeline make: absolute out through a symlink"            "$P make --manifest $PM_LINK_ABS"
case_ "pipeline make: out climbs out with .."                    "$P make --manifest $PM_DOTDOT"
case_ "pipeline make: out is the manifest dir itself"            "$P make --manifest $PM_SELF"
case_ "pipeline make: report = /etc"                             "$P make --manifest $PM_REPORT_ABS"
case_ "pipeline plan: out is a symlink out of the manifest dir"  "$P plan --manifest $PM_LINK_OUT"
case_ "pipeline make: 300-byte variant name"                     "$P make --outputs-anywhere --manifest $PM_LONG_VARIANT"
case_ "pipeline make: 300-byte model name"                       "$P make --outputs-anywhere --manifest $PM_LONG_MODEL"
case_ "pipeline make: 300-byte dataset name"                     "$P make --outputs-anywhere --manifest $PM_LONG_DATASET"
case_ "pipeline make: dataset + split too long for a file"       "$P make --outputs-anywhere --manifest $PM_LONG_PAIR"
case_ "pipeline make: 300-byte sweep value"                      "$P make --outputs-anywhere --manifest $PM_LONG_SWEEP"
case_ "pipeline plan: 300-byte variant name"                     "$P plan --outputs-anywhere --shards 4 --manifest $PM_LONG_VARIANT"
case_ "pipeline make: fragment name too long"                    "$P make --outputs-anywhere --manifest $(manifest "$ANYWHERE" '') --out \"$OUT/$LONG300.mk\""
case_ "pipeline make: epochs 100001"                             "$P make --manifest $PM_EPOCHS"
case_ "pipeline make: batch_size 2^20 + 1"                       "$P make --manifest $PM_BATCH"
case_ "pipeline make: swept epochs 999999999"                    "$P make --manifest $PM_SWEEP_EPOCHS"
case_ "pipeline make: evaluation batch_size 0"                   "$P make --manifest $PM_EVAL_BATCH"
case_ "pipeline make: evaluation batch_size 2^63 - 1"            "$P make --manifest $PM_EVAL_HUGE"
# Refused by the TOML parser, so shown with its line and a caret.
case_ "pipeline make: integer beyond 64 bits"                    "$P make --manifest $PM_TOO_BIG" 4
case_ "pipeline make: val_fraction 1e308"                        "$P make --manifest $PM_VAL_HUGE"
case_ "pipeline make: val_fraction nan"                          "$P make --manifest $PM_VAL_NAN"
case_ "pipeline make: seed -1"                                   "$P make --manifest $PM_SEED"
case_ "pipeline make: synth-xray train 10^7"                     "$P make --manifest $PM_SYNTH"
case_ "pipeline make: synth-xray max_size 100000"                "$P make --manifest $PM_SIDE"
case_ "pipeline make: channels 4"                                "$P make --manifest $PM_CHANNELS"
case_ "pipeline make: threshold 1.5"                             "$P make --manifest $PM_THRESHOLD"
case_ "pipeline plan: --shards 0"                                "$P plan --outputs-anywhere --manifest $(manifest "$ANYWHERE" '') --shards 0"
case_ "pipeline plan: --shards 100000"                           "$P plan --outputs-anywhere --manifest $(manifest "$ANYWHERE" '') --shards 100000"
case_ "pipeline plan: --shards 2^64"                             "$P plan --shards 18446744073709551616"
case_ "pipeline make: a dataset and a model both named m"        "$P make --manifest $PM_CLASH"
case_ "pipeline make: two variants, one run name"                "$P make --manifest $PM_TWICE"
case_ "pipeline make: model named report"                        "$P make --manifest $PM_RESERVED"
case_ "pipeline make: model name with a slash"                   "$P make --manifest $PM_SLASH"
case_ "pipeline make: model name starting with a dot"            "$P make --manifest $PM_DOT"
case_ "pipeline make: title not a string"                        "$P make --manifest $PM_TITLE"
case_ "pipeline make: model reads no such dataset"               "$P make --manifest $PM_DANGLING_DATA"
case_ "pipeline make: manifest is a directory"                   "$P make --manifest \"$T/in\""
case_ "pipeline report: a picture is a symlink to /etc/passwd"   "$P report --manifest $PM_REPORT_LINK --out \"$OUT/r\""
case_ "pipeline report: a picture is a FIFO"                     "$P report --manifest $PM_REPORT_FIFO --out \"$OUT/r\""
