#!/usr/bin/env bash
# scripts/export/mlflow_tensorboard.py logs a trained and evaluated run to MLflow (a
# file store) and TensorBoard, and what they hold is what the run's files say. Installs
# mlflow-skinny and tensorboardX into .venv-export (from PyPI) the first time.
#
#   scripts/test/export-test.sh [BIN]   (BIN: the stage binaries, default target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=$(cd "${1:-target/release}" && pwd)
PACKAGES="mlflow-skinny==3.18.0 tensorboardX==2.6.5"
if [ ! -x .venv-export/bin/python ] || [ "$(cat .venv-export/.packages 2>/dev/null)" != "$PACKAGES" ]; then
  echo "export-test: installing $PACKAGES into .venv-export"
  python3 -m venv --clear .venv-export
  # shellcheck disable=SC2086
  .venv-export/bin/pip install --quiet --disable-pip-version-check $PACKAGES
  echo "$PACKAGES" > .venv-export/.packages
fi
PY=$ROOT/.venv-export/bin/python
# mlflow-skinny has no database store; its file store is what a test can use without a server.
export MLFLOW_ALLOW_FILE_STORE=true
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/pipeline.toml" <<TOML
[datasets.mnist]
kind = "idx"
train_images = "$ROOT/data/mnist-10k/train-images-idx3-ubyte.gz"
train_labels = "$ROOT/data/mnist-10k/train-labels-idx1-ubyte.gz"
test_images = "$ROOT/data/mnist-10k/t10k-images-idx3-ubyte.gz"
test_labels = "$ROOT/data/mnist-10k/t10k-labels-idx1-ubyte.gz"
val_fraction = 0.1

[models.tiny]
data = "mnist"
input_shape = [28, 28, 1]
loss = "categorical_crossentropy"
epochs = 2
batch_size = 64
optimizer = { name = "rmsprop" }
layers = [{ type = "flatten" }, { type = "dense", units = 10, activation = "softmax" }]
TOML
for node in data:mnist:train data:mnist:test train:tiny eval:tiny; do
  "$BIN/pipeline" run "$node" --manifest "$T/pipeline.toml" --bin "$BIN" >/dev/null 2>&1
done
(cd "$T" && "$PY" "$ROOT/scripts/export/mlflow_tensorboard.py" --mlflow "file:$T/mlruns" --tensorboard "$T/tb" >/dev/null)
"$PY" - "$T" <<'PY'
import csv, json, pathlib, struct, sys
t = pathlib.Path(sys.argv[1])
run_dir = t / "out/runs/tiny"
scores = json.loads((run_dir / "eval/scores.json").read_text())
history = list(csv.DictReader(open(run_dir / "model/history.csv")))
passed = failed = 0
def check(name, ok):
    global passed, failed
    print(("ok: " if ok else "FAILED: ") + name, file=sys.stdout if ok else sys.stderr)
    passed, failed = passed + ok, failed + (not ok)

import mlflow
mlflow.set_tracking_uri(f"file:{t}/mlruns")
client = mlflow.tracking.MlflowClient()
found = client.search_runs([client.get_experiment_by_name("lab").experiment_id])
check("MLflow holds one run, named after it", [r.info.run_name for r in found] == ["tiny"])
run = found[0]
check("MLflow's eval_ metrics are scores.json's", all(abs(run.data.metrics[f"eval_{k}"] - v) < 1e-12 for k, v in scores.items()))
losses = client.get_metric_history(run.info.run_id, "loss")
check("MLflow's loss history is history.csv's, step = epoch",
      sorted((m.step, m.value) for m in losses) == [(int(r["epoch"]), float(r["loss"])) for r in history])
check("MLflow's params hold the spec's epochs and optimizer", run.data.params.get("epochs") == "2"
      and run.data.params.get("optimizer.name") == "RMSprop")
artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
check("MLflow keeps model.onnx and summary.txt", {"model.onnx", "summary.txt"} <= artifacts)

# TensorBoard: the event file's records (length, crc, Event proto, crc).
from tensorboardX.proto import event_pb2
scalars = {}
for f in (t / "tb/tiny").glob("events.out.tfevents.*"):
    data = f.read_bytes()
    i = 0
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        event = event_pb2.Event.FromString(data[i + 12:i + 12 + n])
        i += 12 + n + 4
        for v in event.summary.value:
            if v.HasField("simple_value"):
                scalars[(v.tag, event.step)] = v.simple_value
check("TensorBoard has the loss per epoch",
      all(abs(scalars[("loss", int(r["epoch"]))] - float(r["loss"])) < 1e-6 for r in history))
check("TensorBoard has the accuracy of the evaluation", abs(scalars[("eval/accuracy", 0)] - scores["accuracy"]) < 1e-6)
print(f"export-test: {passed} passed, {failed} failed")
sys.exit(failed != 0)
PY
