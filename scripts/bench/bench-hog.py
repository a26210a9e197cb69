"""scikit-image's HOG looped over IDX images: the baseline of scripts/bench/bench-hog.sh.

Prints one JSON line {"images", "seconds", "images_per_s", "max_abs_diff"}; with
--compare OURS.f32 it also checks our first rows against scikit-image's.
"""
import argparse, gzip, json, time
import numpy as np
from skimage.feature import hog

ap = argparse.ArgumentParser()
ap.add_argument("files", nargs="+")
ap.add_argument("--orientations", type=int, default=8)
ap.add_argument("--pixels-per-cell", default="4x4")
ap.add_argument("--cells-per-block", default="1x1")
ap.add_argument("--block-norm", default="L2-Hys")
ap.add_argument("--transform-sqrt", action="store_true")
ap.add_argument("--limit", type=int, default=0, help="time only the first N images (0: all)")
ap.add_argument("--compare", help="float32 LE descriptors of the first rows, from bench_hog --dump")
a = ap.parse_args()

imgs = np.concatenate([
    np.frombuffer(gzip.open(f).read(), np.uint8, offset=16).reshape(-1, 28, 28) for f in a.files
])
if a.limit:
    imgs = imgs[: a.limit]
pair = lambda s: tuple(int(v) for v in s.lower().split("x"))
kw = dict(orientations=a.orientations, pixels_per_cell=pair(a.pixels_per_cell),
          cells_per_block=pair(a.cells_per_block), block_norm=a.block_norm,
          transform_sqrt=a.transform_sqrt, feature_vector=True)
hog(imgs[0], **kw)  # warm-up (imports, first-call dispatch)
t = time.perf_counter()
first = []
for i, im in enumerate(imgs):
    v = hog(im, **kw)
    if i < 2000:
        first.append(v)
secs = time.perf_counter() - t
diff = None
if a.compare:
    ours = np.fromfile(a.compare, "<f4")
    ref = np.stack(first).astype(np.float32)
    ours = ours.reshape(-1, ref.shape[1])[: len(ref)]
    diff = float(np.abs(ours - ref[: len(ours)]).max())
print(json.dumps({"images": len(imgs), "dim": int(first[0].size), "seconds": secs,
                  "images_per_s": len(imgs) / secs, "max_abs_diff": diff}))
