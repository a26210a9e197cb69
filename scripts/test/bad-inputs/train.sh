# Cases of `train` (sourced by scripts/test/bad-inputs.sh): sizes against memory, numeric
# bounds, non-finite values in data, weights and training, and paths checked before
# the run. Each must exit 1 with one stderr line and leave nothing in $OUT.

PY=.venv/bin/python
FEATS=$FIX/mnist-200-features.parquet
# Feature datasets with one NaN or infinite value, and a model with one NaN weight.
"$PY" - "$FEATS" "$T/in" <<'EOF'
import sys, pyarrow as pa, pyarrow.parquet as pq
src, out = sys.argv[1], sys.argv[2]
table = pq.read_table(src)
col = table.column_names.index('features')
rows = table.column('features').to_pylist()
for name, row, value in [('nan', 3, float('nan')), ('inf', 150, float('inf'))]:
    bad = [list(r) for r in rows]
    bad[row][7] = value
    array = pa.array(bad, type=table.schema.field('features').type)
    pq.write_table(table.set_column(col, table.schema.field('features'), array), f'{out}/{name}.parquet')
EOF
sed 's/^epochs = .*/epochs = 1/' "$GOOD_SPEC" > "$T/in/one-epoch.toml"
"$TR" --spec "$T/in/one-epoch.toml" --train "$FIX/mnist-200.parquet" --out "$T/in/good-run" --quiet
"$PY" - "$T/in/good-run/model.onnx" "$T/in/nan-weights.onnx" <<'EOF'
import sys, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
init = next(i for i in m.graph.initializer if not i.name.startswith('scale/'))
w = numpy_helper.to_array(init).copy()
w.flat[5] = np.nan
init.CopyFrom(numpy_helper.from_array(w, init.name))
onnx.save(m, sys.argv[2])
EOF
mkdir -p "$T/in/a-directory"
cat > "$T/in/conv-100000.toml" <<'EOF'
loss = "categorical_crossentropy"
layers = [
  { type = "conv2d", filters = 100000, kernel_size = 3, padding = "same" },
  { type = "flatten" },
  { type = "dense", units = 10, activation = "softmax" },
]
EOF
FEAT_SPEC="$T/in/feature-mlp.toml"
cat > "$FEAT_SPEC" <<'EOF'
loss = "categorical_crossentropy"
epochs = 3
layers = [{ type = "dense", units = 10, activation = "softmax" }]
EOF
{ cat "$FEAT_SPEC"; printf '[optimizer]\nname = "sgd"\nlearning_rate = 3e38\n'; } > "$T/in/wild-sgd.toml"

S_UNITS_E12=$(spec '0,/units = 30/s//units = 1_000_000_000_000/')
S_UNITS_2_62=$(spec '0,/units = 30/s//units = 4611686018427387904/')
S_UNITS_NEG=$(spec '0,/units = 30/s//units = -3/')
S_UNITS_FLOAT=$(spec '0,/units = 30/s//units = 1e12/')
S_BATCH=$(spec 's/^batch_size = .*/batch_size = 4611686018427387904/')
S_EPOCHS_HUGE=$(spec 's/^epochs = .*/epochs = 1000000000000000000/')
S_EPOCHS_NEG=$(spec 's/^epochs = .*/epochs = -1/')
S_KERNEL=$(spec 's/^type = "flatten"/type = "conv2d"\nfilters = 4\nkernel_size = 1099511627776\n[[layers]]\ntype = "flatten"/')
S_LR_NAN=$(spec 's/^learning_rate = .*/learning_rate = nan/')
S_LR_NEG=$(spec 's/^learning_rate = .*/learning_rate = -0.1/')
S_RHO=$(spec 's/^learning_rate = .*/learning_rate = 0.001\nrho = 1.5/')
S_SPLIT_NAN=$(spec 's/^seed = .*/seed = 1\nvalidation_split = nan/')
S_SPLIT_ONE=$(spec 's/^seed = .*/seed = 1\nvalidation_split = 1.0/')
S_SEED_NEG=$(spec 's/^seed = .*/seed = -5/')
S_DROPOUT=$(spec 's/^type = "flatten"/type = "flatten"\n[[layers]]\ntype = "dropout"\nrate = inf/')
S_CW_NEG=$(spec 's/^seed = .*/seed = 1\nclass_weight = { "3" = -1.0 }/')
S_MIN_DELTA=$(spec 's/^seed = .*/seed = 1\n[early_stopping]\nmonitor = "loss"\nmin_delta = inf/')
S_NO_LAYERS=$(printf 'loss = "categorical_crossentropy"\nlayers = []\n' > "$T/in/no-layers.toml"; echo "$T/in/no-layers.toml")
S_SHAPE=$(spec 's/^input_shape = .*/input_shape = [32, 32, 3]/')
M_UNITS=$(manifest '' 'epochs = 2
[models.huge]
data = "d"
loss = "categorical_crossentropy"
layers = [{ type = "flatten" }, { type = "dense", units = 1_000_000_000_000, activation = "softmax" }]')

case_ "train: units 1e12 (12.8 PB)"            "$TR --spec $S_UNITS_E12 --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: units 2^62 (overflow)"           "$TR --spec $S_UNITS_2_62 --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: units negative"                  "$TR --spec $S_UNITS_NEG --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: units a float"                   "$TR --spec $S_UNITS_FLOAT --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: filters 100000 (52.7 GB)"        "$TR --spec $T/in/conv-100000.toml --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: filters 100000 over --max-memory" "$TR --spec $T/in/conv-100000.toml --train $FIX/mnist-200.parquet --out $OUT/t --max-memory 10G"
case_ "train: batch size 2^62"                 "$TR --spec $S_BATCH --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: kernel 2^40"                     "$TR --spec $S_KERNEL --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: epochs 1e18"                     "$TR --spec $S_EPOCHS_HUGE --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: epochs negative"                 "$TR --spec $S_EPOCHS_NEG --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: learning rate NaN"               "$TR --spec $S_LR_NAN --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: learning rate negative"          "$TR --spec $S_LR_NEG --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: rho 1.5"                         "$TR --spec $S_RHO --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: validation_split NaN"            "$TR --spec $S_SPLIT_NAN --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: validation_split 1"              "$TR --spec $S_SPLIT_ONE --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: seed negative"                   "$TR --spec $S_SEED_NEG --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: dropout rate inf"                "$TR --spec $S_DROPOUT --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: class weight negative"           "$TR --spec $S_CW_NEG --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: early stopping min_delta inf"    "$TR --spec $S_MIN_DELTA --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: no layers"                       "$TR --spec $S_NO_LAYERS --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: input shape of other data"       "$TR --spec $S_SHAPE --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: --max-memory 0"                  "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --out $OUT/t --max-memory 0"
case_ "train: --max-memory not a size"         "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --out $OUT/t --max-memory lots"
case_ "train: --max-memory 1e30"               "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --out $OUT/t --max-memory 99999999999999T"
case_ "train: --max-memory below the model"    "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --out $OUT/t --max-memory 100k"
case_ "train: NaN in a training feature"       "$TR --spec $FEAT_SPEC --train $T/in/nan.parquet --out $OUT/t"
case_ "train: inf in a training feature"       "$TR --spec $FEAT_SPEC --train $T/in/inf.parquet --out $OUT/t"
case_ "train: NaN in a validation feature"     "$TR --spec $FEAT_SPEC --train $FEATS --val $T/in/nan.parquet --out $OUT/t"
case_ "train: baseline on NaN features"        "$TR --baseline logistic --train $T/in/nan.parquet --out $OUT/t"
case_ "train: NaN weight in --init-from"       "$TR --spec $T/in/one-epoch.toml --train $FIX/mnist-200.parquet --init-from $T/in/nan-weights.onnx --out $OUT/t"
case_ "train: --init-from a directory"         "$TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --init-from $T/in/a-directory --out $OUT/t"
case_ "train: --init-from of other layers"     "$TR --spec $FEAT_SPEC --train $FEATS --init-from $T/in/good-run/model.onnx --out $OUT/t"
case_ "train: loss turns non-finite (SGD 3e38)" "$TR --spec $T/in/wild-sgd.toml --train $FEATS --out $OUT/t"
case_ "train: --profile is a directory"        "$TR --spec $T/in/one-epoch.toml --train $FIX/mnist-200.parquet --out $OUT/t --profile $T/in/a-directory"
case_ "train: --profile under a file"          "$TR --spec $T/in/one-epoch.toml --train $FIX/mnist-200.parquet --out $OUT/t --profile $T/in/text.parquet/p.json"
case_ "train: LAB_KERNELS unknown"             "LAB_KERNELS=sse9 $TR --spec $GOOD_SPEC --train $FIX/mnist-200.parquet --out $OUT/t"
case_ "train: --fresh with a baseline"         "$TR --baseline logistic --fresh --train $FEATS --out $OUT/t"
case_ "pipeline run: model of 12.8 PB"         "$P run train:huge --manifest $M_UNITS"
case_ "pipeline make: units 1e12"              "$P make --manifest $M_UNITS"
