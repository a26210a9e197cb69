"""Baselines for scripts/bench/bench-ingest.sh: decode a class-per-folder JPEG tree to
128x128 grayscale with Keras image_dataset_from_directory and with plain PIL
loops (full decode, and PIL's DCT-scaled `draft` mode). Prints one JSON line."""
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def files_of(root):
    out = []
    for cls in sorted(os.listdir(root)):
        d = os.path.join(root, cls)
        for name in sorted(os.listdir(d)):
            out.append(os.path.join(d, name))
    return out


def pil_loop(files, draft):
    batch = np.empty((len(files), 128, 128), dtype=np.uint8)
    for i, f in enumerate(files):
        with Image.open(f) as im:
            if draft:
                im.draft("L", (128, 128))  # JPEG DCT scaling, as ingest does
            batch[i] = np.asarray(im.convert("L").resize((128, 128)))
    return batch


def keras_run(root):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    ds = keras.utils.image_dataset_from_directory(
        root, image_size=(128, 128), color_mode="grayscale", batch_size=32, shuffle=False, verbose=False
    )
    n = 0
    for images, _labels in ds:
        n += int(images.shape[0])
    return n


def best_of(runs, fn):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        n = fn()
        dt = time.perf_counter() - t
        best = dt if best is None or dt < best else best
    return n, best


def main():
    root = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    files = files_of(root)
    result = {"files": len(files)}
    n, s = best_of(runs, lambda: len(pil_loop(files, draft=False)))
    result["pil"] = {"images": n, "seconds": s}
    n, s = best_of(runs, lambda: len(pil_loop(files, draft=True)))
    result["pil_draft"] = {"images": n, "seconds": s}
    import tensorflow as tf  # noqa: F401  (import time is not counted)

    keras_run(root)  # warm-up: graph tracing, thread pools
    n, s = best_of(runs, lambda: keras_run(root))
    result["keras"] = {"images": n, "seconds": s}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
