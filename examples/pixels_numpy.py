#!/usr/bin/env python3
"""A feature stage in 30 lines of Python: `features pixels` redone with numpy and pyarrow.

Shows what a replacement for the `features` stage reads and writes (docs/formats.md),
and runs from a manifest as `method = "command"` (docs/pipeline.md):

    [features.pixels-np]
    method = "command"
    from = "mnist"
    command = ["python3", "examples/pixels_numpy.py", "{in}", "{out}"]
    inputs = ["examples/pixels_numpy.py"]

Usage: pixels_numpy.py IMAGE_DATASET FEATURE_FILE (the dataset: a file or a directory of parts).
"""
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

src, out = sys.argv[1], sys.argv[2]
table = pq.read_table(src)  # a directory of part files reads as one table, in name order
meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
h, w, c = (int(meta[k]) for k in ("height", "width", "channels"))
pixels = np.frombuffer(table.column("image").combine_chunks().buffers()[1], np.uint8)
pixels = pixels[: table.num_rows * h * w * c]
values = pixels.astype(np.float32) / np.float32(255)  # float32 division, as `features pixels`
dim = h * w * c
features = pa.FixedSizeListArray.from_arrays(pa.array(values), dim)
schema = pa.schema(
    [("label", pa.int32(), False), ("features", pa.list_(pa.field("item", pa.float32(), False), dim), False)],
    metadata={"kind": "features", "dim": str(dim), "classes": meta["classes"], "source": meta.get("source", ""),
              "features": json.dumps({"method": "pixels-numpy", "height": h, "width": w, "channels": c})},
)
labels = table.column("label").cast(pa.int32()).combine_chunks()
tmp = f"{os.path.dirname(out) or '.'}/.{os.path.basename(out)}.tmp-{os.getpid()}"
pq.write_table(pa.table([labels, features], schema=schema), tmp)
os.replace(tmp, out)  # atomic, as every stage writes
