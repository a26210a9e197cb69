"""Keras side of scripts/bench/bench-train.sh: the same model, data, batch size and epochs.

Reads the image or feature datasets the Rust side trains on (Parquet, docs/formats.md),
builds the lab's model in Keras 3 (tensorflow-cpu), fits it with the validation pass
every epoch, and prints one JSON line:
{"model", "epoch_seconds": [...], "val_accuracy", "val_loss", "keras"}.
"""
import json, os, time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tensorflow-cpu 2.21 ships with oneDNN off on this machine ("onednn False"); on, its
# convolutions run 2-2.5x faster (seed CNN 4.6 -> 1.9 s/epoch here). Benchmark the faster Keras.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
import bench_peer

a = bench_peer.args()

import keras
from keras import layers

keras.utils.set_random_seed(a.seed)
xt, yt = bench_peer.load(a.train)
xv, yv = bench_peer.load(a.val)
k = int(max(yt.max(), yv.max()) + 1)
yt1, yv1 = keras.utils.to_categorical(yt, k), keras.utils.to_categorical(yv, k)

if a.model == "mlp":
    m = keras.Sequential([keras.Input(xt.shape[1:]), layers.Flatten(),
                          layers.Dense(30, activation="relu"), layers.Dense(30, activation="relu"),
                          layers.Dense(k, activation="softmax")])
elif a.model == "hog_mlp":
    m = keras.Sequential([keras.Input(xt.shape[1:]), layers.Dense(100, activation="relu"),
                          layers.Dense(k, activation="softmax")])
elif a.model == "pneumonia_cnn":
    # train/examples/pneumonia_cnn.toml: five 3×3 conv + 2×2 pool stages, 32-16-1 head.
    convs = []
    for f in (8, 16, 32, 64, 128):
        convs += [layers.Conv2D(f, 3, padding="same", activation="relu"), layers.MaxPooling2D(2)]
    m = keras.Sequential([keras.Input(xt.shape[1:]), *convs, layers.Flatten(),
                          layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu"),
                          layers.Dense(1, activation="sigmoid")])
else:
    m = keras.Sequential([keras.Input(xt.shape[1:]),
                          layers.Conv2D(10, 7, padding="same", activation="relu"), layers.MaxPooling2D(2),
                          layers.Conv2D(10, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
                          layers.Conv2D(10, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
                          layers.Flatten(), layers.Dense(10, activation="relu"),
                          layers.Dense(k, activation="softmax")])
# KERAS_JIT_COMPILE: Keras's jit_compile ("auto", its default, or "0"/"1"): XLA on or off.
jit = {"0": False, "1": True}.get(os.environ.get("KERAS_JIT_COMPILE", "auto"), "auto")
if a.model == "pneumonia_cnn":
    yt1, yv1 = yt.astype("float32"), yv.astype("float32")
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], jit_compile=jit)
else:
    m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.t)


times = []
h = m.fit(xt, yt1, batch_size=a.batch_size, epochs=a.epochs, validation_data=(xv, yv1),
          verbose=0, callbacks=[Timer()])
print(json.dumps({
    "model": a.model, "params": m.count_params(), "epoch_seconds": times,
    "val_accuracy": h.history["val_accuracy"][-1], "val_loss": h.history["val_loss"][-1],
    "keras": keras.__version__,
}))
