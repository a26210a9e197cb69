#!/usr/bin/env python3
"""Logs every run of a pipeline's outputs to MLflow and/or TensorBoard.

For each OUT/runs/RUN that has been trained and evaluated, it reads the files of
docs/formats.md and logs:
  - parameters: the model summary's name, epochs, batch size, seed, weight count and
    optimizer settings (summary.json), and the model it was warm-started from, if any;
  - one metric per history.csv column per epoch (step = epoch), seconds included;
  - the evaluation's figures (scores.json) as metrics named `eval_accuracy`, … (MLflow)
    or `eval/accuracy`, … (TensorBoard), apart from the training curves' `accuracy`;
  - to MLflow only, the run's files as artifacts: model.onnx, summary.txt, the pictures.

Usage:
  scripts/export/mlflow_tensorboard.py [--out OUT] [--mlflow URI] [--tensorboard DIR]

`--mlflow` is a tracking URI (`sqlite:///mlflow.db`, `http://host:5000`); `--tensorboard` a log
directory, one subdirectory per run. Needs `mlflow-skinny` and/or `tensorboardX`.
"""
import argparse
import csv
import json
import pathlib
import sys


def runs(out):
    """(name, model dir, eval dir) of every trained and evaluated run, by name."""
    for run in sorted(pathlib.Path(out, "runs").iterdir()):
        model, evaluation = run / "model", run / "eval"
        if (model / "summary.json").is_file() and (evaluation / "scores.json").is_file():
            yield run.name, model, evaluation


def params_of(summary):
    network = {k: summary.get(k) for k in ("name", "epochs", "batch_size", "seed", "total_params")}
    optimizer = {f"optimizer.{k}": v for k, v in summary.get("optimizer", {}).items() if k != "update"}
    extra = {"init_from": summary["init_from"]} if summary.get("init_from") else {}
    return {k: v for k, v in {**network, **optimizer, **extra}.items() if v is not None}


def history_of(model):
    path = model / "history.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [(int(row.pop("epoch")), {k: float(v) for k, v in row.items() if v}) for row in csv.DictReader(f)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out", help="the pipeline's output root (settings.out)")
    ap.add_argument("--mlflow", help="an MLflow tracking URI, e.g. sqlite:///mlflow.db")
    ap.add_argument("--tensorboard", help="a TensorBoard log directory")
    ap.add_argument("--experiment", default="lab", help="the MLflow experiment name")
    args = ap.parse_args()
    if not (args.mlflow or args.tensorboard):
        sys.exit("give --mlflow URI, --tensorboard DIR or both")
    if args.mlflow:
        import mlflow

        mlflow.set_tracking_uri(args.mlflow)
        mlflow.set_experiment(args.experiment)
    if args.tensorboard:
        from tensorboardX import SummaryWriter
    logged = 0
    for name, model, evaluation in runs(args.out):
        summary = json.loads((model / "summary.json").read_text())
        params = params_of(summary)
        history = history_of(model)
        scores = json.loads((evaluation / "scores.json").read_text())
        if args.mlflow:
            with mlflow.start_run(run_name=name):
                mlflow.log_params(params)
                for epoch, values in history:
                    mlflow.log_metrics(values, step=epoch)
                mlflow.log_metrics({f"eval_{k}": v for k, v in scores.items()})
                for f in [model / "model.onnx", model / "summary.txt", *evaluation.glob("*.png")]:
                    if f.is_file():
                        mlflow.log_artifact(str(f))
        if args.tensorboard:
            with SummaryWriter(str(pathlib.Path(args.tensorboard, name))) as w:
                w.add_text("params", json.dumps(params, sort_keys=True))
                for epoch, values in history:
                    for k, v in values.items():
                        w.add_scalar(k, v, epoch)
                for k, v in scores.items():
                    w.add_scalar(f"eval/{k}", v, 0)
        logged += 1
    print(f"logged {logged} runs from {args.out}")


if __name__ == "__main__":
    main()
