#!/usr/bin/env bash
# Tests pipeline/ray/ray_run.py on a real 2-node Ray cluster on this machine (1 CPU per node),
# started by scripts/test/ray-local.sh inside a private network namespace (loopback only)
# and stopped at the end whatever happens. The stages are fakes (small bash scripts
# named ingest, features, …, in a temporary BIN directory) driven by hand-written
# lab-plan/1 plans, so the executor is checked on its own: ordering, make's
# out-of-date rule, the environment and CPUs a task gets, failures (the stage's error
# line, downstream nodes not run, no retry), and a worker node killed mid-run.
#
#   bash scripts/test/ray-test.sh        # ends with `N passed, M failed`; non-zero on a failure
#   bash scripts/test/ray-test.sh failure worker_killed   # only these tests (test_NAME below)
#   RAY_TEST_KEEP=1 bash scripts/test/ray-test.sh   # keeps the temporary projects and run logs
#
# Where the cluster cannot run (not Linux, not root, no unshare or ip) it prints
# `skipped: ray-test: WHY` and passes.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "${1-}" != --inside ]; then
  # The cluster needs Linux and root (scripts/test/ray-local.sh); elsewhere: skipped.
  if ! why=$(bash scripts/test/ray-local.sh --check); then
    echo "skipped: ray-test: $why"
    exit 0
  fi
  bash scripts/setup/setup.sh --with ray >&2 || exit 1   # pip needs the network: outside the namespace
  RAY_TEST_START=$(date +%s) exec bash scripts/test/ray-local.sh --nodes 2 --cpus 1 -- \
    bash scripts/test/ray-test.sh --inside "$@"
fi

REPO=$PWD
PY=$REPO/.venv/bin/python
RUN="$PY $REPO/pipeline/ray/ray_run.py --address 127.0.0.1:6390"
T=$(mktemp -d /tmp/ray-test.XXXXXX)
trap 'if [ -n "${RAY_TEST_KEEP-}" ]; then echo "ray-test: kept $T"; else rm -rf "$T"; fi' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAILED: $1"; [ -z "${2-}" ] || sed 's/^/    | /' "$2"; }
# check NAME LOGFILE COMMAND...: passes when COMMAND succeeds; shows LOGFILE if not.
check() { local name=$1 log=$2; shift 2; if "$@"; then ok "$name"; else bad "$name" "$log"; fi; }
has() { grep -qF -- "$2" "$1"; }

# --- the fake stages ------------------------------------------------------------------
# STAGE [SUB] [--in FILE]... --out FILE [--sleep S] [--fail MESSAGE]: logs its start and
# end (log/runs.log, relative to its cwd: the manifest's directory), then writes --out
# atomically (what it read, RAYON_NUM_THREADS, LAB_TEST_VAR, its cwd), or fails as a
# stage does: some stderr, then one `error: …` line, exit 2. `pipeline plan --manifest
# M --shards N --json` prints plan.json from the manifest's directory.
BIN=$T/bin
mkdir -p "$BIN"
cat >"$BIN/ingest" <<'EOF'
#!/usr/bin/env bash
name=$(basename "$0")
if [ "$name" = pipeline ] && [ "${1-}" = plan ]; then
  [ "$2" = --manifest ] && [ "$4" = --shards ] && [ "$6" = --json ] || { echo "error: usage" >&2; exit 2; }
  echo "plan --shards $5" >>"$(dirname "$3")/log/plan.log"
  exec cat "$(dirname "$3")/plan.json"
fi
out= ins=() pause=0 msg=
while [ $# -gt 0 ]; do
  case $1 in
    --in) ins+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --sleep) pause=$2; shift 2 ;;
    --fail) msg=$2; shift 2 ;;
    *) shift ;;
  esac
done
echo "start $out $$ $(date +%s%N)" >>log/runs.log
sleep "$pause"
if [ -n "$msg" ]; then
  echo "$name: reading ${ins[*]}" >&2
  echo "error: $msg" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
{ echo "$name"; cat "${ins[@]}" </dev/null; echo "RAYON_NUM_THREADS=${RAYON_NUM_THREADS-}";
  echo "LAB_TEST_VAR=${LAB_TEST_VAR-}"; echo "cwd=$PWD"; } >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "end $out $$ $(date +%s%N)" >>log/runs.log
EOF
chmod +x "$BIN/ingest"
for s in features train evaluate pipeline; do cp "$BIN/ingest" "$BIN/$s"; done

# --- the plans ------------------------------------------------------------------------
# A project: manifest, raw inputs, parameter files, and a plan of 9 nodes in the shape
# `pipeline plan --shards 2` gives (ingest and features sharded, train on the whole,
# evaluate sharded then merged, the report with a second command run from PATH).
# PLAN_VARIANT=fail makes features:f:1 fail and adds a node whose program is missing;
# PLAN_VARIANT=kill is two independent nodes of 8 s each.
make_project() {  # DIR VARIANT
  local dir=$1
  mkdir -p "$dir/raw" "$dir/out/specs" "$dir/log"
  echo "# fake manifest" >"$dir/pipeline.toml"
  echo "image a" >"$dir/raw/a.txt"
  echo "image b" >"$dir/raw/b.txt"
  for s in ingest-d features-f train-m evaluate-m report; do echo "$s params" >"$dir/out/specs/$s.cmd"; done
  PLAN_VARIANT=$2 "$PY" - "$dir/plan.json" <<'EOF'
import json, os, sys
nodes = []
def node(id, cmds, ins, outs, after=(), cpus=1, comment=""):
    nodes.append({"id": id, "comment": comment, "commands": cmds, "inputs": list(ins),
                  "outputs": list(outs), "after": list(after), "cpus": cpus})
def stage(argv, ins, out, extra=()):
    return [*argv, *[a for i in ins for a in ("--in", i)], "--out", out, *extra]
variant = os.environ["PLAN_VARIANT"]
if variant == "kill":
    for k in range(2):
        out = f"out/slow/part-0000{k}.parquet"
        node(f"features:slow:{k}", [stage(["features", "hog"], ["raw/a.txt"], out, ["--sleep", "8"])],
             ["raw/a.txt"], [out])
else:
    part = lambda d, k: f"out/{d}/part-0000{k}.parquet"
    for k in range(2):
        raw, spec = ["raw/a.txt", "raw/b.txt"][k], "out/specs/ingest-d.cmd"
        node(f"ingest:d:{k}", [stage(["ingest", "idx", "--shard", f"{k}/2"], [raw, spec], part("data/d", k))],
             [raw, spec], [part("data/d", k)], comment=f"dataset d, shard {k + 1} of 2")
    for k in range(2):
        ins = [part("data/d", k), "out/specs/features-f.cmd"]
        extra = ["--sleep", "1"] + (["--fail", "hog: cells_per_block 3x3 does not fit a 2x2 cell grid"]
                                    if variant == "fail" and k == 1 else [])
        node(f"features:f:{k}", [stage(["features", "hog"], ins, part("features/f", k), extra)],
             ins, [part("features/f", k)], after=[f"ingest:d:{k}"])
    ins = [part("features/f", 0), part("features/f", 1), "out/specs/train-m.cmd"]
    node("train:m", [stage(["train"], ins, "out/runs/m/model/model.onnx", ["--sleep", "1"])], ins,
         ["out/runs/m/model/model.onnx"], after=["features:f:0", "features:f:1"], cpus=2)
    for k in range(2):
        ins = ["out/runs/m/model/model.onnx", part("features/f", k), "out/specs/evaluate-m.cmd"]
        out = f"out/runs/m/eval/shard-{k}/metrics.json"
        node(f"evaluate:m:{k}", [stage(["evaluate"], ins, out)], ins, [out],
             after=["train:m", f"features:f:{k}"])
    ins = [f"out/runs/m/eval/shard-{k}/metrics.json" for k in range(2)]
    node("evaluate:m:merge", [stage(["evaluate", "merge"], ins, "out/runs/m/eval/metrics.json")], ins,
         ["out/runs/m/eval/metrics.json"], after=["evaluate:m:0", "evaluate:m:1"])
    ins = ["out/runs/m/eval/metrics.json", "out/specs/report.cmd"]
    node("report", [stage(["pipeline", "report"], ins, "report/index.md"), ["touch", "report/done"]],
         ins, ["report/index.md", "report/done"], after=["evaluate:m:merge"])
    if variant == "fail":
        node("odd:x", [["no-such-program-xyz", "--out", "out/odd"]], ["raw/a.txt"], ["out/odd"])
json.dump({"format": "lab-plan/1", "manifest": "pipeline.toml", "shards": 2, "nodes": nodes},
          open(sys.argv[1], "w"), indent=1)
EOF
}

# Nodes (by output) that ran since line SKIP of the run log, one per line, sorted.
ran_since() { tail -n +$(( $2 + 1 )) "$1/log/runs.log" | awk '$1 == "end" {print $2}' | sort; }
lines() { wc -l <"$1/log/runs.log" 2>/dev/null || echo 0; }
# Every node started after each node it comes after had ended (from the run log).
order_ok() {  # DIR
  "$PY" - "$1" <<'EOF'
import json, sys
d = sys.argv[1]
plan = json.load(open(f"{d}/plan.json"))
t = {}
for line in open(f"{d}/log/runs.log"):
    what, out, _pid, ns = line.split()
    t[(what, out)] = int(ns)
out = {n["id"]: n["commands"][0][n["commands"][0].index("--out") + 1] for n in plan["nodes"]}
bad = [(n["id"], a) for n in plan["nodes"] for a in n["after"]
       if t[("start", out[n["id"]])] < t[("end", out[a])]]
for b in bad:
    print("    | %s started before %s ended" % b)
sys.exit(1 if bad else 0)
EOF
}

# --- the tests ------------------------------------------------------------------------
P=$T/proj
make_project "$P" main
export LAB_TEST_VAR=forwarded

test_first_run() {
  local log=$T/run1.log
  (cd "$P" && $RUN --shards 2 --bin "$BIN") >"$log" 2>&1
  check "first run: exit 0" "$log" [ $? = 0 ]
  check "first run: the plan came from 'pipeline plan --shards 2 --json'" "$log" has "$P/log/plan.log" "plan --shards 2"
  check "first run: all 9 nodes ran" "$log" [ "$(ran_since "$P" 0 | wc -l)" = 9 ]
  check "first run: every node started after the nodes it comes after" "$log" order_ok "$P"
  check "first run: progress lines and summary" "$log" eval 'has "$log" "[9/9] done" && has "$log" "start train:m on 127.0.0.1" && has "$log" "ray_run: 9 ran, 0 up to date, 0 failed, 0 did not run"'
  check "first run: both Ray nodes ran tasks" "$log" [ "$(grep -o 'on 127.0.0.1 [0-9a-f]*' "$log" | sort -u | wc -l)" = 2 ]
  check "a node wanting 2 CPUs runs on 1-CPU nodes, RAYON_NUM_THREADS=1" "$log" has "$P/out/runs/m/model/model.onnx" "RAYON_NUM_THREADS=1"
  check "LAB_* variables are forwarded; cwd is the manifest's directory" "$log" eval 'has "$P/out/features/f/part-00001.parquet" "LAB_TEST_VAR=forwarded" && has "$P/report/index.md" "cwd=$P"'
  check "a node's second command (touch, from PATH) ran" "$log" [ -f "$P/report/done" ]
}

test_up_to_date() {
  local log=$T/run2.log before rc
  before=$(lines "$P")
  (cd "$P" && $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1
  rc=$?
  check "second run: exit 0, nothing ran" "$log" eval '[ $rc = 0 ] && [ "$(lines "$P")" = "$before" ]'
  check "second run: says all are up to date, without starting Ray" "$log" eval 'has "$log" "all 9 nodes are up to date" && [ "$(grep -c "^up to date: " "$log")" = 9 ]'
}

test_touched_input() {
  local log=$T/run3.log before want rc
  before=$(lines "$P")
  touch "$P/raw/b.txt"
  (cd "$P" && $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1
  rc=$?
  want=$(printf '%s\n' out/data/d/part-00001.parquet out/features/f/part-00001.parquet \
    out/runs/m/model/model.onnx out/runs/m/eval/shard-0/metrics.json \
    out/runs/m/eval/shard-1/metrics.json out/runs/m/eval/metrics.json report/index.md | sort)
  check "touched input: exit 0" "$log" [ $rc = 0 ]
  check "touched input: exactly its node and the nodes below it ran" "$log" [ "$(ran_since "$P" "$before")" = "$want" ]
  check "touched input: the others are up to date" "$log" eval 'has "$log" "up to date: ingest:d:0" && has "$log" "up to date: features:f:0" && has "$log" "7 ran, 2 up to date"'
  # A parameter file works the same way (the manifest's directory is the default root).
  before=$(lines "$P")
  touch "$P/out/specs/evaluate-m.cmd"
  (cd "$T" && $RUN --plan proj/plan.json --manifest proj/pipeline.toml --bin "$BIN") >"$log" 2>&1
  check "touched parameter file: evaluate shards, merge, report ran" "$log" [ "$(ran_since "$P" "$before" | wc -l)" = 4 ]
}

test_failure() {
  local F=$T/fail log=$T/run4.log
  make_project "$F" fail
  (cd "$F" && $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1
  check "failure: exit 1" "$log" [ $? = 1 ]
  check "failure: the stage's error line is printed" "$log" has "$log" "ray_run: node features:f:1 failed: error: hog: cells_per_block 3x3 does not fit a 2x2 cell grid"
  check "failure: the nodes below it are named as not run" "$log" has "$log" "did not run (a node they come after failed): train:m evaluate:m:0 evaluate:m:1 evaluate:m:merge report"
  check "failure: the nodes below it did not run" "$log" eval '[ ! -e "$F/out/runs" ] && [ ! -e "$F/report" ]'
  check "failure: the failing stage ran once (no retry)" "$log" [ "$(grep -c "^start out/features/f/part-00001.parquet " "$F/log/runs.log")" = 1 ]
  check "failure: independent nodes still ran" "$log" [ -f "$F/out/features/f/part-00000.parquet" ]
  check "failure: a missing program is a failure of its node" "$log" has "$log" "ray_run: node odd:x failed: cannot run no-such-program-xyz: No such file or directory"
  check "failure: nothing partial is left" "$log" [ -z "$(find "$F/out" -name '*.tmp.*')" ]
}

test_bad_plan() {
  local log=$T/run5.log rc
  echo '{"format": "lab-plan/9", "nodes": []}' >"$T/bad.json"
  $RUN --plan "$T/bad.json" --manifest "$P/pipeline.toml" --bin "$BIN" >"$log" 2>&1
  rc=$?
  check "a plan of another format is refused" "$log" eval '[ $rc = 1 ] && has "$log" "unknown plan format '"'lab-plan/9'"'"'
}

test_other_shard_count() {
  local S=$T/stale log=$T/run8.log rc
  cp -r "$P" "$S"
  mkdir -p "$S/out/data/d" "$S/out/features"
  echo stale >"$S/out/data/d/part-00002.parquet"
  (cd "$S" && $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1
  rc=$?
  check "parts of another shard count are refused" "$log" eval '[ $rc = 1 ] && has "$log" "out/data/d holds part files this plan does not write (part-00002.parquet): it was made with another --shards; delete it first"'
  rm "$S/out/data/d/part-00002.parquet"
  rm -rf "$S/out/features/f"
  echo "one file" >"$S/out/features/f"
  (cd "$S" && $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1
  rc=$?
  check "a dataset file where the parts go is refused" "$log" eval '[ $rc = 1 ] && has "$log" "out/features/f is a file, and this plan writes part files into it"'
}

test_no_cluster() {
  local log=$T/run7.log rc
  touch "$P/raw/a.txt"
  (cd "$P" && $PY "$REPO/pipeline/ray/ray_run.py" --address 127.0.0.1:6391 --plan plan.json --bin "$BIN") >"$log" 2>&1
  rc=$?
  check "no cluster at the address: exit 1 at once, said" "$log" eval '[ $rc = 1 ] && has "$log" "no Ray cluster answers at 127.0.0.1:6391"'
}

test_interrupted() {  # Ctrl-C on the driver: exit 130, the running stages end with it
  local I=$T/interrupt log=$T/run9.log pid rc
  make_project "$I" kill
  # (A background job of a script starts with SIGINT ignored; give it back its default.)
  (cd "$I" && exec $PY -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ "$(grep -c '^start' "$I/log/runs.log" 2>/dev/null)" = 2 ] && break; sleep 0.2; done
  kill -INT "$pid"
  wait "$pid"
  rc=$?
  sleep 2
  check "interrupted: exit 130, said" "$log" eval '[ $rc = 130 ] && has "$log" "ray_run: interrupted"'
  check "interrupted: the running stages ended, nothing written" "$log" \
    eval '! grep -q "^end" "$I/log/runs.log" && ! grep -qs "$BIN/" /proc/[0-9]*/cmdline && [ ! -e "$I/out/slow" ]'
}

# ===== REAL PIPELINE CHECK (to be filled in) ==========================================
# The real check: `pipeline/ray/ray_run.py --shards 2` on the demo manifest with the real
# binaries ($REPO/target/release, or $CARGO_TARGET_DIR/release), its outputs compared to
# those of make. Runs on the 2-node cluster above (RAY_ADDRESS=127.0.0.1:6390), before
# the worker-kill test, which leaves one node. Report with `check NAME LOGFILE COMMAND…`.
test_real_pipeline() {
  local real_bin=${CARGO_TARGET_DIR:-$REPO/target}/release M=$T/real-make R=$T/real-ray log=$T/real.log
  if [ ! -x "$real_bin/pipeline" ]; then
    bad "real: the stage binaries are built ($real_bin; run cargo build --release first)"
    return
  fi
  for d in "$M" "$R"; do
    mkdir -p "$d" && cp "$REPO/pipeline.toml" "$d/" && ln -s "$REPO/data" "$d/data"
  done
  # make, as `make demo` runs the pipeline (2 jobs), and the executor with 2 shards.
  ( cd "$M" && "$real_bin/pipeline" make --manifest pipeline.toml --out build/pipeline.mk &&
    make --no-print-directory -f build/pipeline.mk BIN="$real_bin" PIPELINE_RUNTIME= -j2 pipeline ) >"$log" 2>&1
  check "real: make runs the demo manifest" "$log" test -f "$M/report/index.md"
  ( cd "$R" && $RUN --shards 2 --manifest pipeline.toml --bin "$real_bin" ) >>"$log" 2>&1
  check "real: ray_run --shards 2 runs the demo manifest on 2 nodes" "$log" test -f "$R/report/index.md"
  # Datasets and features: the same rows in the same order (parts concatenated), same
  # metadata; models byte-identical (same seed; training is thread-count independent);
  # metrics equal but for the timings.
  local same=0
  "$PY" - "$M" "$R" >>"$log" 2>&1 <<'PY' || same=1
import glob, json, os, sys
import pyarrow as pa, pyarrow.parquet as pq
make, ray = sys.argv[1:]
def table(path):
    files = sorted(glob.glob(os.path.join(path, "part-*.parquet"))) if os.path.isdir(path) else [path]
    t = pa.concat_tables([pq.read_table(f) for f in files])
    # A shard's bookkeeping (how many parts make its set) is all a sharded dataset adds.
    meta = {k: v for k, v in (t.schema.metadata or {}).items() if k != b"shard_parts"}
    return t.replace_schema_metadata(meta)
problems, counts = [], {"datasets": 0, "models": 0, "metrics": 0}
for path in sorted(glob.glob(f"{make}/out/data/*/*.parquet") + glob.glob(f"{make}/out/features/*/*.parquet")):
    rel = os.path.relpath(path, make)
    a, b = table(path), table(os.path.join(ray, rel))
    if not a.equals(b) or a.schema.metadata != b.schema.metadata:
        problems.append(f"{rel}: rows or metadata differ ({a.num_rows} vs {b.num_rows} rows)")
    counts["datasets"] += 1
for path in sorted(glob.glob(f"{make}/out/runs/*/model/model.onnx")):
    rel = os.path.relpath(path, make)
    if open(path, "rb").read() != open(os.path.join(ray, rel), "rb").read():
        problems.append(f"{rel}: models differ")
    counts["models"] += 1
for path in sorted(glob.glob(f"{make}/out/runs/*/eval/metrics.json")):
    rel = os.path.relpath(path, make)
    a, b = (json.load(open(p)) for p in (path, os.path.join(ray, rel)))
    for m in (a, b):
        for k in ("seconds", "rows_per_second", "threads"):
            m.pop(k, None)
    if a != b:
        problems.append(f"{rel}: metrics differ")
    counts["metrics"] += 1
print("compared", counts)
for p in problems:
    print("DIFFERENT:", p)
sys.exit(1 if problems or min(counts.values()) == 0 else 0)
PY
  check "real: ray's datasets, features, models and metrics equal make's" "$log" test "$same" = 0
  grep "^compared" "$log" | sed 's/^/    (/; s/$/)/'
}
# =======================================================================================

test_worker_killed() {
  local K=$T/kill log=$T/run6.log pid raylet status
  make_project "$K" kill
  (cd "$K" && exec $RUN --plan plan.json --bin "$BIN") >"$log" 2>&1 &
  pid=$!
  # Wait until both 8-second nodes run (one on each 1-CPU node), then kill the second
  # node's raylet (the one without --head; this PID namespace holds only this cluster).
  for _ in $(seq 100); do [ "$(grep -c '^start' "$K/log/runs.log" 2>/dev/null)" = 2 ] && break; sleep 0.2; done
  raylet=$(for p in /proc/[0-9]*; do
      c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
      case $c in *"/raylet/raylet "*) case $c in *" --head"*) ;; *) echo "${p#/proc/}" ;; esac ;; esac
    done)
  check "kill: found the worker node's raylet while both nodes ran" "$log" eval '[ -n "$raylet" ] && [ "$(grep -c "^start" "$K/log/runs.log")" = 2 ]'
  [ -n "$raylet" ] && kill -9 $raylet
  wait "$pid"
  status=$?
  if [ $status = 0 ]; then
    check "kill: the lost task was retried on the other node, both outputs written" "$log" \
      eval '[ -f "$K/out/slow/part-00000.parquet" ] && [ -f "$K/out/slow/part-00001.parquet" ] && has "$log" "(again)"'
  else
    check "kill: the run failed cleanly (exit 1, the node named)" "$log" eval '[ $status = 1 ] && grep -q "^ray_run: node features:slow:[01] failed: " "$log"'
  fi
  echo "    (kill: ray_run exit $status; $(grep -c '^start' "$K/log/runs.log") stage starts)"
  sleep 1
  check "kill: the stage on the lost node died with it; nothing partial is left" "$log" \
    eval '[ "$(grep -c "^end" "$K/log/runs.log")" = 2 ] && ! grep -qs "$BIN/" /proc/[0-9]*/cmdline && [ -z "$(find "$K/out" -name "*.tmp.*")" ]'
}

shift   # --inside
# In this order: test_worker_killed is last, as it leaves the cluster with one node.
all="first_run up_to_date touched_input failure bad_plan other_shard_count no_cluster interrupted
  real_pipeline worker_killed"
for t in ${*:-$all}; do
  "test_$t"
done

echo "ray-test: $(( $(date +%s) - ${RAY_TEST_START:-$(date +%s)} )) s, cluster start included"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
