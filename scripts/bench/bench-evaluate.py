"""Benchmark: `evaluate` (Rust, ONNX Runtime) vs Keras `model.predict` on the seed CNN.

Same model, same 10,000 images (Fashion-MNIST test set):
  1. builds the lab's seed CNN in Keras (peers.py, behind a Rescaling 1/255 layer) and
     trains it one epoch on 10,000 training images (so its predictions mean something);
  2. writes the same weights as ONNX with the `onnx` helper API (NHWC→NCHW transposes around
     the convolutions, back to NHWC before Flatten so Dense sees Keras's order), following
     the model contract of docs/formats.md (uint8 [N,28,28,1] input named `input`, output
     `probabilities`);
  3. times Keras `model.predict` (batch 32 = Keras's default, and batch 512) and the
     `evaluate` binary (its own inference-only rows/s, and the wall time of the whole command),
     best of --repeats runs each, and checks both give the same predictions;
  4. times ONNX Runtime alone on the same model (the floor under `evaluate`): one session
     with every thread, one single-threaded session per core, and one single-threaded
     session (how well each layout scales), and profiles its operators (the share of
     each operator type, from ONNX Runtime's own profiler).

Usage: .venv-bench/bin/python scripts/bench/bench-evaluate.py --evaluate target/release/evaluate --work DIR
           --fashion /usr/share/datasets/fashion-mnist
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np

import peers

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tensorflow-cpu 2.21 ships with oneDNN off on this machine; on, its convolutions are
# faster. Benchmark the faster Keras (as bench-train.py does).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_image_dataset(path, labels, images, classes, source):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(images)
    flat = images.reshape(n, -1)
    schema = pa.schema(
        [pa.field("label", pa.int32(), nullable=False), pa.field("image", pa.binary(784), nullable=False)],
        metadata={"kind": "image", "height": "28", "width": "28", "channels": "1", "classes": json.dumps(classes), "source": source},
    )
    table = pa.Table.from_arrays(
        [pa.array(labels.astype(np.int32), pa.int32()), pa.array([bytes(r) for r in flat], pa.binary(784))], schema=schema
    )
    pq.write_table(table, path)


def build_keras(seed):
    import keras

    keras.utils.set_random_seed(seed)
    model = peers.keras_model("cnn", (28, 28, 1), 10, rescale=True)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_to_onnx(model, path, classes):
    """The Keras model's weights as an ONNX graph (docs/formats.md model contract)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    nodes.append(helper.make_node("Cast", ["input"], ["x_f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Div", ["x_f", const("c255", np.array(255.0, np.float32))], ["x_s"]))
    nodes.append(helper.make_node("Transpose", ["x_s"], ["x_nchw"], perm=[0, 3, 1, 2]))
    cur = "x_nchw"
    convs = [l for l in model.layers if l.__class__.__name__ == "Conv2D"]
    for i, conv in enumerate(convs):
        w, b = conv.get_weights()  # HWIO
        kh, kw = w.shape[:2]
        wn = const(f"conv{i}_w", np.ascontiguousarray(w.transpose(3, 2, 0, 1)).astype(np.float32))  # OIHW
        bn = const(f"conv{i}_b", b.astype(np.float32))
        # Keras "same" with stride 1 and odd kernels pads (k-1)/2 on each side.
        pads = [(kh - 1) // 2, (kw - 1) // 2, kh - 1 - (kh - 1) // 2, kw - 1 - (kw - 1) // 2]
        nodes.append(helper.make_node("Conv", [cur, wn, bn], [f"c{i}"], kernel_shape=[kh, kw], pads=pads))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        nodes.append(helper.make_node("MaxPool", [f"r{i}"], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
        cur = f"p{i}"
    # Back to NHWC so Flatten orders values as Keras does.
    nodes.append(helper.make_node("Transpose", [cur], ["p_nhwc"], perm=[0, 2, 3, 1]))
    nodes.append(helper.make_node("Reshape", ["p_nhwc", const("flat", np.array([-1, 90], np.int64))], ["flat_x"]))
    dense = [l for l in model.layers if l.__class__.__name__ == "Dense"]
    cur = "flat_x"
    for i, d in enumerate(dense):
        w, b = d.get_weights()
        nodes.append(helper.make_node("MatMul", [cur, const(f"d{i}_w", w.astype(np.float32))], [f"m{i}"]))
        nodes.append(helper.make_node("Add", [f"m{i}", const(f"d{i}_b", b.astype(np.float32))], [f"a{i}"]))
        cur = f"a{i}"
        if i < len(dense) - 1:
            nodes.append(helper.make_node("Relu", [cur], [f"dr{i}"]))
            cur = f"dr{i}"
    nodes.append(helper.make_node("Softmax", [cur], ["probabilities"], axis=-1))
    graph = helper.make_graph(
        nodes,
        "seed_cnn",
        [helper.make_tensor_value_info("input", TensorProto.UINT8, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        initializer=inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench-evaluate.py")
    m.ir_version = 8
    helper.set_model_props(m, {"classes": json.dumps(classes), "producer": "bench-evaluate.py (Keras weights)"})
    onnx.checker.check_model(m)
    onnx.save(m, path)


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaluate", required=True, help="the evaluate binary")
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--fashion", required=True, help="the Fashion-MNIST IDX directory")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=512, help="evaluate's --batch-size")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    x_train = read_idx(f"{args.fashion}/train-images-idx3-ubyte.gz")[:10000].reshape(-1, 28, 28, 1)
    y_train = read_idx(f"{args.fashion}/train-labels-idx1-ubyte.gz")[:10000]
    x_test = read_idx(f"{args.fashion}/t10k-images-idx3-ubyte.gz").reshape(-1, 28, 28, 1)
    y_test = read_idx(f"{args.fashion}/t10k-labels-idx1-ubyte.gz")
    assert len(x_test) == 10000

    data = os.path.join(args.work, "fashion-test.parquet")
    write_image_dataset(data, y_test, x_test, classes, "Fashion-MNIST test set (bench-evaluate)")

    import tensorflow as tf

    model = build_keras(42)
    model.fit(x_train.astype(np.float32), y_train, epochs=1, batch_size=32, verbose=0)
    onnx_path = os.path.join(args.work, "seed_cnn.onnx")
    keras_to_onnx(model, onnx_path, classes)

    xt = x_test.astype(np.float32)
    keras_probs = model.predict(xt, verbose=0)  # warm-up (graph tracing)
    keras = {}
    for bs in (32, 512):
        secs, probs = best_of(args.repeats, lambda: model.predict(xt, batch_size=bs, verbose=0))
        keras[bs] = (secs, probs)
    keras_pred = keras[32][1].argmax(axis=1)
    keras_acc = float((keras_pred == y_test).mean())

    # The whole command in both layouts of the machine's cores: one session with every
    # thread (1xT), and one session per core on different batches (Tx1).
    cores = os.cpu_count() or 1
    layouts = {}
    for sessions in sorted({1, cores}):
        out = os.path.join(args.work, f"eval-{sessions}")
        cmd = [args.evaluate, "--model", onnx_path, "--data", data, "--out", out, "--batch-size", str(args.batch_size),
               "--threads", str(cores), "--sessions", str(sessions), "--json"]
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if res.returncode != 0:
                sys.exit(f"evaluate failed: {res.stderr}")
            runs.append((elapsed, json.loads(res.stdout)))
        layouts[f"{sessions}x{cores // sessions}"] = (min(r[0] for r in runs), runs[0][1], out)
    best_layout = min(layouts, key=lambda k: layouts[k][0])
    wall, metrics, out = layouts[best_layout]
    import pyarrow.parquet as pq

    ev_pred = pq.read_table(os.path.join(out, "predictions.parquet")).column("predicted").to_numpy()
    ev_scores = np.stack(pq.read_table(os.path.join(out, "predictions.parquet")).column("scores").to_numpy(zero_copy_only=False))
    agree = float((ev_pred == keras_pred).mean())
    max_diff = float(np.abs(ev_scores - keras[32][1]).max())

    # The floor: ONNX Runtime alone (the same 1.31.1 library, through its Python binding,
    # which calls the C API with no copy), the same model, threads and batch size, fed the
    # uint8 rows already in memory, in both layouts. "cold" is one pass in a fresh session, as `evaluate`
    # makes it (its first run includes ONNX Runtime's own set-up); "warm" the best later pass.
    import onnxruntime as ort

    def ort_pass(session, name):
        for i in range(0, len(x_test), args.batch_size):
            session.run(None, {name: x_test[i:i + args.batch_size]})

    def session_with(threads):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        return ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])

    t0 = time.perf_counter()
    session = session_with(cores)
    name = session.get_inputs()[0].name
    ort_pass(session, name)
    ort_cold = time.perf_counter() - t0
    ort_warm, _ = best_of(args.repeats, lambda: ort_pass(session, name))

    # ONNX Runtime alone, one single-threaded session per core, each on every k-th batch
    # (ONNX Runtime lets go of Python's lock while it runs).
    from concurrent.futures import ThreadPoolExecutor

    singles = [session_with(1) for _ in range(cores)]
    batches = [x_test[i:i + args.batch_size] for i in range(0, len(x_test), args.batch_size)]

    def ort_sessions_pass():
        def work(k):
            for b in batches[k::cores]:
                singles[k].run(None, {name: b})
        with ThreadPoolExecutor(cores) as pool:
            list(pool.map(work, range(cores)))

    ort_sessions_pass()
    ort_sessions_warm, _ = best_of(args.repeats, ort_sessions_pass)

    # How far a layout could go: one single-threaded session alone. When `cores` of them
    # (above) are `cores` times as fast, and so is one session with every thread, ONNX
    # Runtime already keeps every core busy, and no layout of sessions can beat it.
    single = singles[0]
    ort_pass(single, name)
    ort_single_warm, _ = best_of(args.repeats, lambda: ort_pass(single, name))

    # Where the time goes inside ONNX Runtime: its own profiler over one warm pass of the
    # 1xT session, as each operator's share of the operators' time.
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = cores
    opts.enable_profiling = True
    opts.profile_file_prefix = os.path.join(args.work, "ort-profile")
    profiled = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    ort_pass(profiled, name)
    ort_pass(profiled, name)
    with open(profiled.end_profiling()) as f:
        events = json.load(f)
    by_op = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"].get("op_name", "?")
            by_op[op] = by_op.get(op, 0) + e["dur"]
    total_op = sum(by_op.values()) or 1
    op_share = {op: round(100 * t / total_op, 1) for op, t in sorted(by_op.items(), key=lambda kv: -kv[1])}

    n = len(x_test)
    k32 = n / keras[32][0]
    k512 = n / keras[512][0]
    ev_inf = metrics["rows_per_second"]
    ev_wall = n / wall
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    report = {
        "cpu": f"{cpu}, {cores} cores",
        "rows": n,
        "tensorflow": tf.__version__,
        "keras_predict_rows_per_s_batch32": round(k32),
        "keras_predict_rows_per_s_batch512": round(k512),
        "evaluate_inference_rows_per_s": round(ev_inf),
        "evaluate_whole_command_rows_per_s": round(ev_wall),
        "evaluate_whole_command_seconds": round(wall, 3),
        "evaluate_whole_command_rows_per_s_by_layout": {k: round(n / v[0]) for k, v in layouts.items()},
        "evaluate_best_layout_sessions_x_threads": best_layout,
        "evaluate_batch_size": args.batch_size,
        "evaluate_threads": metrics["threads"],
        "ratio_inference_vs_keras32": round(ev_inf / k32, 2),
        "ratio_inference_vs_keras512": round(ev_inf / k512, 2),
        "ratio_whole_command_vs_keras32": round(ev_wall / k32, 2),
        "ratio_whole_command_vs_keras512": round(ev_wall / k512, 2),
        "onnxruntime_alone_cold_rows_per_s": round(n / ort_cold),
        f"onnxruntime_alone_warm_rows_per_s_1x{cores}": round(n / ort_warm),
        "ratio_onnxruntime_alone_warm_vs_keras512": round(n / ort_warm / k512, 2),
        "ratio_whole_command_vs_onnxruntime_alone_cold": round(ev_wall * ort_cold / n, 2),
        f"onnxruntime_alone_warm_rows_per_s_{cores}x1": round(n / ort_sessions_warm),
        "ratio_whole_command_vs_onnxruntime_alone_warm": round(ev_wall * ort_warm / n, 2),
        "onnxruntime_alone_warm_rows_per_s_1x1": round(n / ort_single_warm),
        f"onnxruntime_scaling_1x{cores}_vs_1x1": round(ort_single_warm / ort_warm, 2),
        f"onnxruntime_scaling_{cores}x1_vs_1x1": round(ort_single_warm / ort_sessions_warm, 2),
        "onnxruntime_operator_time_percent": op_share,
        "accuracy_keras": keras_acc,
        "accuracy_evaluate": metrics["accuracy"],
        "prediction_agreement": agree,
        "max_probability_difference": max_diff,
    }
    print(json.dumps(report, indent=1))
    with open(os.path.join(args.work, "bench-evaluate.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
