"""What the training benchmark's peers (scripts/bench/bench-train.py for Keras,
scripts/bench/bench-train-torch.py for PyTorch) share: their command line and the reading of
the Parquet datasets the Rust side trains on (docs/formats.md)."""
import argparse

import numpy as np
import pyarrow.parquet as pq


def args():
    """MODEL --train T --val V [--epochs E] [--batch-size B] [--seed S]."""
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["mlp", "hog_mlp", "cnn", "pneumonia_cnn"])
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=42)
    return ap.parse_args()


def load(path):
    """(x, y): images as float32 NHWC scaled by 1/255 (the same division as `train`), or
    the feature vectors; labels as int64."""
    t = pq.read_table(path)
    md = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
    y = t.column("label").to_numpy().astype("int64")
    if "image" in t.column_names:
        h, w, c = int(md["height"]), int(md["width"]), int(md["channels"])
        raw = b"".join(v.as_py() for v in t.column("image").combine_chunks())
        x = np.frombuffer(raw, np.uint8).reshape(-1, h, w, c).astype("float32") / 255.0
    else:
        x = np.stack(t.column("features").to_numpy(zero_copy_only=False)).astype("float32")
    return x, y
