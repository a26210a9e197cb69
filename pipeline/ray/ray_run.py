#!/usr/bin/env python3
"""Runs the pipeline's plan (`pipeline plan --json`, format lab-plan/1) on a Ray cluster.

    python pipeline/ray/ray_run.py --address auto|HOST:PORT|ray://HOST:PORT [--shards N]
        [--manifest pipeline.toml] [--bin DIR] [--plan plan.json]

Each node that is out of date (make's rule: an output missing or older than the newest
input, or a node it comes after runs) becomes one Ray task that runs the node's commands
(no shell) in the manifest's directory; tasks are chained through their ObjectRefs, so
Ray orders them and a failed node stops the nodes below it. See docs/scale-out.md.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

STAGES = {"ingest", "features", "train", "evaluate", "pipeline"}
# Driver variables the stages (or their libraries) read; the rest of a task's
# environment is the worker node's own.
FORWARD = ("LAB_", "ORT_", "RAYON_", "RUST_", "OMP_", "OPENBLAS_", "MKL_")


class StageFailed(Exception):
    """A command of a node exited non-zero: (node id, the stage's error line)."""


def fail(msg):
    print(f"ray_run: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def load_plan(args, root):
    """`pipeline plan`, run in the manifest's directory (where the plan's paths start)."""
    cmd = [os.path.join(args.bin, "pipeline"), "plan", "--manifest",
           os.path.basename(args.manifest), "--shards", str(args.shards), "--json"]
    try:
        p = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, errors="replace")
    except OSError as e:
        fail(f"cannot run {cmd[0]}: {e.strerror} (build it: cargo build --release --workspace)")
    if p.returncode != 0:
        fail(f"pipeline plan failed: {error_line(p.stderr, p.returncode)}")
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        fail(f"pipeline plan printed no JSON plan: {e}")


def error_line(stderr, code):
    """The stage's `error: …` line; else (a panic, another program) its last words."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("error:")]
    errors = errors or [l for l in lines if not l.startswith("note:")]
    if errors:
        return errors[-1]
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def mtime(root, path):
    try:
        return os.stat(os.path.join(root, path)).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return None


def check_parts(nodes, root):
    """Refuses a dataset written with another shard count: readers would read its
    stale part files (or find a file where the parts go)."""
    parts = {}
    for o in (o for n in nodes for o in n["outputs"]):
        d, name = os.path.split(os.path.normpath(o))
        if name.startswith("part-") and name.endswith(".parquet"):
            parts.setdefault(d, set()).add(name)
    for d, names in sorted(parts.items()):
        path = os.path.join(root, d)
        if os.path.isfile(path):
            fail(f"{d} is a file, and this plan writes part files into it (it was made "
                 "without --shards, e.g. by make): delete it first")
        stale = sorted(f for f in (os.listdir(path) if os.path.isdir(path) else [])
                       if f.startswith("part-") and f.endswith(".parquet") and f not in names)
        if stale:
            fail(f"{d} holds part files this plan does not write ({', '.join(stale[:3])}"
                 f"{', …' if len(stale) > 3 else ''}): it was made with another --shards; "
                 "delete it first")


def to_run(nodes, root):
    """Ids of the nodes that are out of date, by make's rule (the plan is in topological order)."""
    made = [os.path.normpath(o) for n in nodes for o in n["outputs"]]
    runs, seen = set(), set()
    for n in nodes:
        for a in n["after"]:
            if a not in seen:
                fail(f"bad plan: node {n['id']} comes after {a}, which is not an earlier node")
        seen.add(n["id"])
        outs = [mtime(root, o) for o in n["outputs"]]
        ins = [mtime(root, i) for i in n["inputs"]]
        for i, t in zip(n["inputs"], ins):
            i = os.path.normpath(i)
            if t is None and not any(o == i or o.startswith(i + os.sep) for o in made):
                fail(f"node {n['id']}: input {i} does not exist and no node of the plan makes it")
        if (not outs or None in outs or None in ins or any(a in runs for a in n["after"])
                or (ins and min(outs) < max(ins))):
            runs.add(n["id"])
    return runs


def run_node(node, root, bin_dir, env, cpus, progress, *upstream):
    """The Ray task: runs the node's commands in order; a non-zero exit raises StageFailed."""
    import ray
    where = f"{ray.util.get_node_ip_address()} {ray.get_runtime_context().get_node_id()[:8]}"
    if progress is not None:
        progress.started.remote(node["id"], where)
    env = {**os.environ, **env, "RAYON_NUM_THREADS": str(cpus)}
    die_with_worker = None
    if sys.platform.startswith("linux"):  # the stage dies with this worker: a node lost
        import ctypes, functools, signal  # mid-run leaves no orphan (PR_SET_PDEATHSIG)
        die_with_worker = functools.partial(ctypes.CDLL(None).prctl, 1, signal.SIGKILL)
    start = time.time()
    for argv in node["commands"]:
        argv = [os.path.join(bin_dir, argv[0]) if argv[0] in STAGES else argv[0], *argv[1:]]
        try:
            p = subprocess.run(argv, cwd=root, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", preexec_fn=die_with_worker)
        except OSError as e:
            raise StageFailed(node["id"], f"cannot run {argv[0]}: {e.strerror}")
        if p.returncode != 0:
            raise StageFailed(node["id"], error_line(p.stderr, p.returncode))
    return {"where": where, "seconds": time.time() - start}


class Progress:
    """A tiny actor the tasks tell when they start; the driver drains it while waiting."""
    def __init__(self):
        self.events = []

    def started(self, node_id, where):
        self.events.append((node_id, where))

    def take(self):
        events, self.events = self.events, []
        return events


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--address", required=True, help="auto, HOST:PORT or ray://HOST:PORT")
    ap.add_argument("--shards", type=int, default=1, help="shards per shardable stage (default 1)")
    ap.add_argument("--manifest", default=None, help="default pipeline.toml (or the plan's)")
    ap.add_argument("--bin", default=None, help=f"stage binaries (default {target}/release "
                    "under the manifest's directory)")
    ap.add_argument("--plan", help="read this plan instead of running `pipeline plan`")
    args = ap.parse_args()
    if args.shards < 1:
        fail("--shards must be at least 1")
    plan = None
    if args.plan:
        try:
            with open(args.plan) as f:
                plan = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"cannot read the plan {args.plan}: {e}")
    args.manifest = args.manifest or (plan or {}).get("manifest") or "pipeline.toml"
    root = os.path.dirname(os.path.abspath(args.manifest))
    args.bin = os.path.abspath(args.bin or os.path.join(root, target, "release"))
    plan = plan or load_plan(args, root)
    if plan.get("format") != "lab-plan/1":
        fail(f"unknown plan format {plan.get('format')!r} (expected lab-plan/1)")
    nodes = plan["nodes"]
    check_parts(nodes, root)
    runs = to_run(nodes, root)
    for n in nodes:
        if n["id"] not in runs:
            print(f"up to date: {n['id']}", flush=True)
    if not runs:
        print(f"ray_run: all {len(nodes)} nodes are up to date", flush=True)
        return 0

    host, _, port = args.address.rpartition(":")
    if host and "//" not in host and port.isdigit():  # ray.init would wait for minutes
        try:
            socket.create_connection((host, int(port)), timeout=10).close()
        except OSError as e:
            fail(f"no Ray cluster answers at {args.address}: {e.strerror or e}")
    import ray
    # Stage output is captured by the tasks; Ray's own worker logs stay in its log files.
    try:
        ray.init(address=args.address, logging_level="warning", log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        fail(f"cannot connect to the Ray cluster at {args.address}: {e}")
    alive = [n for n in ray.nodes() if n["Alive"]]
    cap = max(int(n["Resources"].get("CPU", 0)) for n in alive)
    if cap < 1:
        fail("the cluster has no CPUs")
    cpus = sum(int(n["Resources"].get("CPU", 0)) for n in alive)
    print(f"ray_run: {len(runs)} of {len(nodes)} nodes to run on {len(alive)} Ray "
          f"node{'s' * (len(alive) > 1)} ({cpus} CPUs)", flush=True)
    try:  # on the head node, which outlives the others
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        head = [n["NodeID"] for n in alive if "node:__internal_head__" in n["Resources"]]
        there = NodeAffinitySchedulingStrategy(head[0], soft=False) if head else "DEFAULT"
        progress = ray.remote(num_cpus=0, scheduling_strategy=there)(Progress).remote()
    except Exception:  # progress lines are best-effort (e.g. Ray Client)
        progress = None
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARD)}
    task = ray.remote(run_node)
    order = {n["id"]: k for k, n in enumerate(nodes)}
    refs, pending = {}, {}
    for n in nodes:
        if n["id"] in runs:
            cpus = max(1, min(int(n.get("cpus", 1)), cap))
            ups = [refs[a] for a in n["after"] if a in refs]
            refs[n["id"]] = task.options(
                num_cpus=cpus, name=n["id"], max_retries=3, retry_exceptions=False,
            ).remote(n, root, args.bin, env, cpus, progress, *ups)
            pending[refs[n["id"]]] = n

    total, started, done, t0 = len(runs), set(), [], time.time()
    failed, lost = {}, set()  # id -> message; ids that did not run

    def show_start(node_id, where):
        again = " (again)" if node_id in started else ""
        started.add(node_id)
        print(f"[{len(started)}/{total}] start {node_id} on {where}{again}", flush=True)

    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5, fetch_local=False)
        if progress is not None:
            try:
                for node_id, where in ray.get(progress.take.remote()):
                    if node_id not in done and node_id not in failed:
                        show_start(node_id, where)
            except ray.exceptions.ActorUnavailableError:
                pass  # a moment's trouble: ask again at the next turn
            except Exception:
                progress = None
        for ref in sorted(ready, key=lambda r: order[pending[r]["id"]]):
            n = pending.pop(ref)
            try:
                r = ray.get(ref)
            except Exception as e:
                cause = getattr(e, "cause", None)
                if isinstance(cause, StageFailed) and cause.args[0] != n["id"] \
                        or any(a in failed or a in lost for a in n["after"]):
                    lost.add(n["id"])
                    continue
                msg = cause.args[1] if isinstance(cause, StageFailed) else \
                    (str(e).strip().splitlines() or [type(e).__name__])[0]
                failed[n["id"]] = msg
                print(f"[{len(done) + len(failed)}/{total}] FAILED {n['id']}: {msg}", flush=True)
                continue
            if n["id"] not in started:
                show_start(n["id"], r["where"])
            done.append(n["id"])
            print(f"[{len(done) + len(failed)}/{total}] done  {n['id']} in {r['seconds']:.1f} s", flush=True)

    print(f"ray_run: {len(done)} ran, {len(nodes) - total} up to date, {len(failed)} failed, "
          f"{len(lost)} did not run; {time.time() - t0:.1f} s", flush=True)
    for node_id, msg in sorted(failed.items(), key=lambda f: order[f[0]]):
        print(f"ray_run: node {node_id} failed: {msg}", file=sys.stderr, flush=True)
    if lost:
        names = " ".join(sorted(lost, key=order.get))
        print(f"ray_run: did not run (a node they come after failed): {names}", file=sys.stderr,
              flush=True)
    return 1 if failed or lost else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the driver's end ends its tasks, and they their stages
        print("ray_run: interrupted", file=sys.stderr)
        sys.exit(130)
