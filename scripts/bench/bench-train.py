"""Keras side of scripts/bench/bench-train.sh: the same model, data, batch size and epochs.

Reads the image or feature datasets the Rust side trains on (Parquet, docs/formats.md),
builds the lab's model in Keras 3 (tensorflow-cpu, peers.py), fits it with the validation pass
every epoch, and prints one JSON line:
{"model", "epoch_seconds": [...], "val_accuracy", "val_loss", "keras"}.
"""
import json, os, time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tensorflow-cpu 2.21 ships with oneDNN off on this machine ("onednn False"); on, its
# convolutions are faster (docs/benchmarks.md). Benchmark the faster Keras.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
import peers

a = peers.args()

import keras

keras.utils.set_random_seed(a.seed)
xt, yt = peers.load(a.train)
xv, yv = peers.load(a.val)
k = int(max(yt.max(), yv.max()) + 1)
yt1, yv1 = keras.utils.to_categorical(yt, k), keras.utils.to_categorical(yv, k)

m = peers.keras_model(a.model, xt.shape[1:], k)
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
