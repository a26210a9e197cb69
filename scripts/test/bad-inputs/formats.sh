# Hostile Parquet files (sourced by scripts/test/bad-inputs.sh): 16 bytes inserted where the
# first page header starts, declaring an unknown field that holds a list of 2^31
# booleans or a map of 2^31 boolean pairs (the parquet crate alone spins for seconds
# to minutes on these), and a footer with the same list. Every stage that reads
# Parquet refuses them at once.
python3 - "$FIX/features-81.parquet" "$FIX/mnist-200.parquet" "$T/in" <<'PY'
import struct, sys
features, images, out = sys.argv[1], sys.argv[2], sys.argv[3]
big_list = bytes([0xF9, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]) + bytes(9)
big_map = bytes([0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x11]) + bytes(9)
for src, name in [(features, 'features'), (images, 'images')]:
    data = open(src, 'rb').read()
    for kind, ins in [('list', big_list), ('map', big_map)]:
        open(f'{out}/page-{kind}-{name}.parquet', 'wb').write(data[:4] + ins + data[4:])
    # The footer: the same list as the first field of FileMetaData.
    n = struct.unpack('<I', data[-8:-4])[0]
    footer = big_list[:7] + data[-8 - n:-8]
    open(f'{out}/footer-list-{name}.parquet', 'wb').write(data[:-8 - n] + footer + struct.pack('<I', len(footer)) + b'PAR1')
PY
for kind in page-list page-map footer-list; do
  case_ "train: $kind Parquet (features)"     "$TR --baseline logistic --train $T/in/$kind-features.parquet --out $OUT/t"
  case_ "train: $kind Parquet (images)"       "$TR --spec $GOOD_SPEC --train $T/in/$kind-images.parquet --out $OUT/t"
  case_ "features hog: $kind Parquet"         "$F hog --in $T/in/$kind-images.parquet --out $OUT/h.parquet"
  case_ "evaluate: $kind Parquet"             "$E --model $FIX/binary/model.onnx --data $T/in/$kind-images.parquet --out $OUT/e"
done
