# Bad inputs of ingest, features and evaluate: numeric flags out of their bounds,
# class names, labels, shard directories, pictures' directories, streams and models
# whose outputs are not probabilities. Sourced by scripts/test/bad-inputs.sh.

# --- inputs (in $T/in; the cases write only into $OUT) -------------------------------
# The first 20 rows of mnist-200.parquet, row 7 relabelled 15 (its classes are 0-9).
LABEL15=features/tests/fixtures/label-15.parquet
# Parts of a set of 2 (images, features) and of 3, the parts of an unsharded run, one
# part of a set of 2 alone, parts of both sets in one directory, and a user's directory.
"$I" idx --images "$IMG" --labels "$LBL" --out "$T/in/parts-of-2" --shard 1/2 --quiet
"$F" hog --in "$FIX/mnist-200.parquet" --out "$T/in/hog-of-2" --shard 0/2 --quiet
mkdir -p "$T/in/one-of-2" "$T/in/mixed" "$T/in/user-dir"
cp "$T/in/parts-of-2/part-00001.parquet" "$T/in/one-of-2/"
"$I" idx --images "$IMG" --labels "$LBL" --out "$T/in/mixed" --shard 0/2 --quiet
"$I" idx --images "$IMG" --labels "$LBL" --out "$T/in/parts-of-3" --shard 1/3 --quiet
"$I" idx --images "$IMG" --labels "$LBL" --out "$T/in/unsharded" --rows-per-file 5000 --quiet
cp "$T/in/parts-of-3/part-00001.parquet" "$T/in/mixed/"
echo "my notes" > "$T/in/user-dir/notes.txt"
# Class folders whose names hold a newline or a tab.
mkdir -p "$T/in/ctrl-nl/A" "$T/in/ctrl-nl/B"$'\n'"C" "$T/in/ctrl-tab/A" "$T/in/ctrl-tab/B"$'\t'"C"
for d in "$T/in/ctrl-nl/A" "$T/in/ctrl-nl/B"$'\n'"C" "$T/in/ctrl-tab/A" "$T/in/ctrl-tab/B"$'\t'"C"; do
  cp "$T/in/tree/A/1.png" "$d/"
done
ln -s "$T/in/none.gz" "$T/in/dangling.gz"
TEN="a,b,c,d,e,f,g,h,i,j"

# --- ingest synth-xray ---------------------------------------------------------------
case_ "synth-xray: --train 2^64-1"              "$I synth-xray --out \"$OUT/x\" --train 18446744073709551615"
case_ "synth-xray: --train 2^64 (overflow)"     "$I synth-xray --out \"$OUT/x\" --train 18446744073709551616"
case_ "synth-xray: --val above the bound"       "$I synth-xray --out \"$OUT/x\" --val 1000001"
case_ "synth-xray: --test negative"             "$I synth-xray --out \"$OUT/x\" --test -1"
case_ "synth-xray: ratio 1e30"                  "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio 1e30"
case_ "synth-xray: ratio NaN"                   "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio NaN"
case_ "synth-xray: ratio inf"                   "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio inf"
case_ "synth-xray: ratio negative"              "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio=-1"
case_ "synth-xray: ratio 101"                   "$I synth-xray --out \"$OUT/x\" --pneumonia-ratio 101"
case_ "synth-xray: 12 million images in all"    "$I synth-xray --out \"$OUT/x\" --train 1000000 --val 1000000 --test 1000000 --pneumonia-ratio 3"
case_ "synth-xray: quality 101"                 "$I synth-xray --out \"$OUT/x\" --quality 101"
case_ "synth-xray: quality 256"                 "$I synth-xray --out \"$OUT/x\" --quality 256"
case_ "synth-xray: min side above max side"     "$I synth-xray --out \"$OUT/x\" --min-size 900 --max-size 100"
case_ "synth-xray: max side 100000"             "$I synth-xray --out \"$OUT/x\" --max-size 100000"
case_ "synth-xray: seed negative"               "$I synth-xray --out \"$OUT/x\" --seed -1"
case_ "synth-xray: out is a user's directory"   "$I synth-xray --out \"$T/in/user-dir\" --train 1 --val 0 --test 0"

# --- ingest idx ----------------------------------------------------------------------
case_ "ingest idx: duplicate class names"       "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --classes a,a,c,d,e,f,g,h,i,j"
case_ "ingest idx: empty class name"            "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --classes a,,c,d,e,f,g,h,i,j"
case_ "ingest idx: newline in a class name"     "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --classes \$'a\\nb',b,c,d,e,f,g,h,i,j"
case_ "ingest idx: tab in a class name"         "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --classes \$'a\\tb',b,c,d,e,f,g,h,i,j"
case_ "ingest idx: images from /dev/stdin"      "$I idx --images /dev/stdin --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: images from a pipe"          "gzip -dc $IMG | head -c 100000 | $I idx --images /dev/stdin --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: images is a directory"       "$I idx --images $MNIST --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: labels is a directory"       "$I idx --images $IMG --labels $MNIST --out \"$OUT/a.parquet\""
case_ "ingest idx: images is a dangling link"   "$I idx --images \"$T/in/dangling.gz\" --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: labels given as images"      "$I idx --images $LBL --labels $LBL --out \"$OUT/a.parquet\""
case_ "ingest idx: rows per file 0"             "$I idx --images $IMG --labels $LBL --out \"$OUT/a\" --rows-per-file 0"
case_ "ingest idx: rows per file 2^64-1"        "$I idx --images $IMG --labels $LBL --out \"$OUT/a\" --rows-per-file 18446744073709551615"
case_ "ingest idx: val fraction NaN"            "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction NaN --val-out \"$OUT/v.parquet\""
case_ "ingest idx: val fraction 1"              "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction 1 --val-out \"$OUT/v.parquet\""
case_ "ingest idx: val fraction negative"       "$I idx --images $IMG --labels $LBL --out \"$OUT/a.parquet\" --val-fraction=-0.5 --val-out \"$OUT/v.parquet\""
case_ "ingest idx: shard 3/3"                   "$I idx --images $IMG --labels $LBL --out \"$OUT/s\" --shard 3/3"
case_ "ingest idx: shard of 3 among parts of 2" "$I idx --images $IMG --labels $LBL --out \"$T/in/parts-of-2\" --shard 0/3"
case_ "ingest idx: shard into a user's dir"     "$I idx --images $IMG --labels $LBL --out \"$T/in/user-dir\" --shard 0/2"
case_ "ingest idx: shard val-out of another N"  "$I idx --images $IMG --labels $LBL --out \"$OUT/s\" --val-fraction 0.1 --val-out \"$T/in/parts-of-2\" --shard 0/4"

# --- ingest folders ------------------------------------------------------------------
case_ "ingest folders: newline in a class"      "$I folders --root \"$T/in/ctrl-nl\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: tab in a class"          "$I folders --root \"$T/in/ctrl-tab\" --out \"$OUT/f.parquet\" --size 8x8"
case_ "ingest folders: max megapixels 0"        "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 8x8 --max-megapixels 0"
case_ "ingest folders: max megapixels 1e30"     "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 8x8 --max-megapixels 1e30"
case_ "ingest folders: max megapixels NaN"      "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 8x8 --max-megapixels NaN"
case_ "ingest folders: size 0x8"                "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 0x8"
case_ "ingest folders: size 99999x99999"        "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 99999x99999"
case_ "ingest folders: channels 2"              "$I folders --root \"$T/in/tree\" --out \"$OUT/f.parquet\" --size 8x8 --channels 2"
case_ "ingest folders: rows per file 0"         "$I folders --root \"$T/in/tree\" --out \"$OUT/f\" --size 8x8 --rows-per-file 0"
case_ "ingest folders: rows per file too many"  "$I folders --root \"$T/in/tree\" --out \"$OUT/f\" --size 8x8 --rows-per-file 100000001"
case_ "ingest folders: shard among parts of 2"  "$I folders --root \"$T/in/tree\" --out \"$T/in/parts-of-2\" --size 8x8 --shard 0/3"

# --- features ------------------------------------------------------------------------
case_ "features hog: label 15 of 10 classes"    "$F hog --in $LABEL15 --out \"$OUT/h.parquet\""
case_ "features pixels: label 15 of 10 classes" "$F pixels --in $LABEL15 --out \"$OUT/p.parquet\""
case_ "features hog: label 15 in a shard"       "$F hog --in $LABEL15 --out \"$OUT/h\" --shard 0/2"
case_ "features hog: pictures dir is a file"    "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --visualize 3 --visualize-out \"$T/in/text.parquet\""
case_ "features hog: pictures dir is the out"   "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h\" --visualize 3 --visualize-out \"$OUT/h\""
case_ "features hog: visualize 1001"            "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --visualize 1001 --visualize-out \"$OUT/pics\""
case_ "features hog: visualize 2^64-1"          "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --visualize 18446744073709551615 --visualize-out \"$OUT/pics\""
case_ "features hog: visualize negative"        "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --visualize=-1 --visualize-out \"$OUT/pics\""
case_ "features hog: orientations 255"          "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --orientations 255"
case_ "features hog: orientations 2^64"         "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --orientations 18446744073709551616"
case_ "features hog: cell 99999"                "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --pixels-per-cell 99999"
case_ "features hog: cell NaN"                  "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --pixels-per-cell NaN"
case_ "features hog: block 0"                   "$F hog --in $FIX/mnist-200.parquet --out \"$OUT/h.parquet\" --cells-per-block 0"
case_ "features hog: shard into a user's dir"   "$F hog --in $FIX/mnist-200.parquet --out \"$T/in/user-dir\" --shard 0/2"
case_ "features hog: shard of 3 among parts of 2" "$F hog --in $FIX/mnist-200.parquet --out \"$T/in/hog-of-2\" --shard 1/3"
case_ "features pixels: shard among unsharded parts" "$F pixels --in $FIX/mnist-200.parquet --out \"$T/in/unsharded\" --shard 0/2"
case_ "features pixels: one part of a set of 2" "$F pixels --in \"$T/in/one-of-2\" --out \"$OUT/p.parquet\""
case_ "features pixels: parts of two sets"      "$F pixels --in \"$T/in/mixed\" --out \"$OUT/p.parquet\""
case_ "features hog: input is a tree of PNGs"   "$F hog --in \"$T/in/tree\" --out \"$OUT/h.parquet\""

# --- evaluate ------------------------------------------------------------------------
case_ "evaluate: threads 100000"                "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --threads 100000"
case_ "evaluate: threads 0"                     "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --threads 0"
case_ "evaluate: threads negative"              "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --threads=-4"
case_ "evaluate: batch size 2^40"               "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --batch-size 1099511627776"
case_ "evaluate: scale 1e30"                    "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --scale 1e30"
case_ "evaluate: scale inf"                     "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --scale inf"
case_ "evaluate: threshold NaN"                 "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --threshold NaN"
case_ "evaluate: min recall 1.5"                "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --min-recall 1.5"
case_ "evaluate: min recall -inf"               "$E --model $FIX/binary/model.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\" --min-recall=-inf"
case_ "evaluate: logits, not probabilities"     "$E --model $FIX/logits.onnx --data $FIX/mnist-200-features.parquet --out \"$OUT/e\""
case_ "evaluate: rows summing to 2"             "$E --model $FIX/sums-to-two.onnx --data $FIX/mnist-200-features.parquet --out \"$OUT/e\""
case_ "evaluate: sigmoid column outside [0,1]"  "$E --model $FIX/sigmoid-logit.onnx --data $FIX/binary-200.parquet --out \"$OUT/e\""
case_ "evaluate: one part of a set of 2"        "$E --model $FIX/sklearn/model.onnx --data \"$T/in/one-of-2\" --out \"$OUT/e\""
case_ "evaluate: label 15 of 10 classes"        "$E --model $FIX/sklearn/model.onnx --data $LABEL15 --out \"$OUT/e\""
case_ "evaluate: model is a directory"          "$E --model $FIX/binary --data $FIX/binary-200.parquet --out \"$OUT/e\""
case_ "evaluate: data is a user's directory"    "$E --model $FIX/binary/model.onnx --data \"$T/in/user-dir\" --out \"$OUT/e\""
