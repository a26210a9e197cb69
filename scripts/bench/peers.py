"""The Python peers' side of the benchmarks, defined once: the lab's models in Keras and
in PyTorch (the same architectures as train/examples/*.toml), the training peers'
command line (scripts/bench/bench-train.py for Keras, scripts/bench/bench-train-torch.py
for PyTorch), and the reading of the Parquet datasets the Rust side trains on
(docs/formats.md). Keras and PyTorch are imported only by the function that needs them."""
import argparse

import numpy as np
import pyarrow.parquet as pq

MODELS = ["mlp", "hog_mlp", "cnn", "pneumonia_cnn"]


def args():
    """MODEL --train T --val V [--epochs E] [--batch-size B] [--seed S]."""
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=MODELS)
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


def keras_model(model, input_shape, k, rescale=False):
    """The lab's MODEL in Keras 3 for inputs of INPUT_SHAPE and K classes (not compiled).
    rescale: a Rescaling(1/255) layer first, for uint8 pixel inputs."""
    import keras
    from keras import layers

    def conv(filters, size):
        return [layers.Conv2D(filters, size, padding="same", activation="relu"), layers.MaxPooling2D(2)]

    if model == "mlp":
        body = [layers.Flatten(), layers.Dense(30, activation="relu"), layers.Dense(30, activation="relu"),
                layers.Dense(k, activation="softmax")]
    elif model == "hog_mlp":
        body = [layers.Dense(100, activation="relu"), layers.Dense(k, activation="softmax")]
    elif model == "pneumonia_cnn":
        # train/examples/pneumonia_cnn.toml: five 3×3 conv + 2×2 pool stages, 32-16-1 head.
        body = [l for f in (8, 16, 32, 64, 128) for l in conv(f, 3)]
        body += [layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu"),
                 layers.Dense(1, activation="sigmoid")]
    else:  # the seed CNN: train/examples/cnn.toml
        body = [*conv(10, 7), *conv(10, 5), *conv(10, 3), layers.Flatten(),
                layers.Dense(10, activation="relu"), layers.Dense(k, activation="softmax")]
    first = [layers.Rescaling(1.0 / 255)] if rescale else []
    return keras.Sequential([keras.Input(input_shape), *first, *body])


def torch_model(model, input_shape, k):
    """The lab's MODEL in PyTorch for NCHW (or feature) inputs of INPUT_SHAPE (without
    the batch axis) and K classes, with Keras's initialisers (Glorot-uniform kernels,
    zero biases). The binary model ends in one logit (the sigmoid is in the loss)."""
    from torch import nn

    def conv(c_in, f, size):
        return [nn.Conv2d(c_in, f, size, padding="same"), nn.ReLU(), nn.MaxPool2d(2)]

    if model == "mlp":
        d = int(np.prod(input_shape))
        layers = [nn.Flatten(), nn.Linear(d, 30), nn.ReLU(), nn.Linear(30, 30), nn.ReLU(), nn.Linear(30, k)]
    elif model == "hog_mlp":
        layers = [nn.Linear(input_shape[0], 100), nn.ReLU(), nn.Linear(100, k)]
    elif model == "pneumonia_cnn":
        layers, c_in, side = [], input_shape[0], input_shape[1]
        for f in (8, 16, 32, 64, 128):
            layers += conv(c_in, f, 3)
            c_in, side = f, side // 2
        layers += [nn.Flatten(), nn.Linear(c_in * side * side, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                   nn.Linear(16, 1)]
    else:  # the seed CNN
        side = input_shape[1] // 2 // 2 // 2
        layers = [*conv(input_shape[0], 10, 7), *conv(10, 10, 5), *conv(10, 10, 3), nn.Flatten(),
                  nn.Linear(10 * side * side, 10), nn.ReLU(), nn.Linear(10, k)]
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)  # Keras's glorot_uniform
            nn.init.zeros_(m.bias)
    # NB: flattening NCHW orders features differently from Keras's NHWC; for a model
    # trained from scratch that changes nothing but the weights' order.
    return net
