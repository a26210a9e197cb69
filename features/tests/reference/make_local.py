"""Regenerates features/tests/reference/local/: extra HOG reference vectors made with
scikit-image 0.26.0 on the project's machine (x86-64, AVX2, numpy using glibc's atan2).

They cover what the four shared sets do not: non-square cells and blocks, image sizes
that are not a multiple of the cell, 3-channel images (per-pixel strongest channel),
every block norm, transform_sqrt, 7 orientations. Each case stores its input images
(`NAME.u8`, N×H×W×C uint8), the descriptors (`NAME.f32`, N×D float32 little-endian) and a
JSON card. Run: .venv-bench/bin/python features/tests/reference/make_local.py
"""
import gzip, json, os, sys
import numpy as np
import skimage
from skimage.feature import hog

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "local")
os.makedirs(out, exist_ok=True)
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
raw = gzip.open(os.path.join(root, "data/mnist-10k/t10k-images-idx3-ubyte.gz")).read()
mnist = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
rng = np.random.default_rng(2026)

def smooth_rgb(n, h, w):
    # Random blobs (not white noise) so gradients vary smoothly and channels differ.
    base = rng.integers(0, 256, size=(n, h // 3 + 2, w // 3 + 2, 3)).astype(np.float64)
    big = base.repeat(3, axis=1).repeat(3, axis=2)[:, :h, :w, :]
    noise = rng.integers(-20, 21, size=big.shape)
    return np.clip(big + noise, 0, 255).astype(np.uint8)

cases = [
    # name, images (N,H,W[,C]), params
    ("mnist-o9-ppc4x7-cpb2x3-L2", mnist[:40], dict(orientations=9, pixels_per_cell=(4, 7), cells_per_block=(2, 3), block_norm="L2")),
    ("mnist-crop27x25-o6-ppc6x5-cpb2-L1sqrt", mnist[:40, :27, 1:26], dict(orientations=6, pixels_per_cell=(6, 5), cells_per_block=(2, 2), block_norm="L1-sqrt")),
    ("mnist-defaults", mnist[:40], dict()),
    ("mnist-o7-ppc5-cpb2-L1-sqrtimg", mnist[:40], dict(orientations=7, pixels_per_cell=(5, 5), cells_per_block=(2, 2), block_norm="L1", transform_sqrt=True)),
    ("rgb30x22-o6-ppc5x4-cpb2-L2Hys", smooth_rgb(24, 30, 22), dict(orientations=6, pixels_per_cell=(5, 4), cells_per_block=(2, 2), block_norm="L2-Hys")),
    ("rgb30x22-o8-ppc6-cpb1-L2-sqrt", smooth_rgb(24, 30, 22), dict(orientations=8, pixels_per_cell=(6, 6), cells_per_block=(1, 1), block_norm="L2", transform_sqrt=True)),
]
for name, imgs, params in cases:
    imgs = np.ascontiguousarray(imgs)
    kw = dict(params)
    if imgs.ndim == 4:
        kw["channel_axis"] = -1
    feats = np.stack([hog(im, feature_vector=True, **kw) for im in imgs]).astype("<f4")
    full = dict(orientations=9, pixels_per_cell=[8, 8], cells_per_block=[3, 3], block_norm="L2-Hys", transform_sqrt=False)
    full.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()})
    h, w = imgs.shape[1:3]
    c = imgs.shape[3] if imgs.ndim == 4 else 1
    imgs.tofile(os.path.join(out, name + ".u8"))
    feats.tofile(os.path.join(out, name + ".f32"))
    card = dict(params=full, rows=len(imgs), height=h, width=w, channels=c, dim=feats.shape[1], skimage=skimage.__version__, numpy=np.__version__)
    json.dump(card, open(os.path.join(out, name + ".json"), "w"), indent=1)
    print(name, feats.shape)

# The shared transform_sqrt set, recomputed here (see docs/features.md: one pixel of
# image 175 sits 9e-16° below a bin edge and the shared file binned it above).
p = json.load(open(os.path.join(here, "hog-o9-ppc7-cpb2-L1-sqrt.json")))["params"]
feats = np.stack([hog(im, orientations=p["orientations"], pixels_per_cell=tuple(p["pixels_per_cell"]),
                      cells_per_block=tuple(p["cells_per_block"]), block_norm=p["block_norm"],
                      transform_sqrt=p["transform_sqrt"]) for im in mnist[:200]]).astype("<f4")
feats.tofile(os.path.join(out, "hog-o9-ppc7-cpb2-L1-sqrt.this-machine.f32"))
print("hog-o9-ppc7-cpb2-L1-sqrt.this-machine", feats.shape)
