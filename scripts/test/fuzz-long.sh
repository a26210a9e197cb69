#!/usr/bin/env bash
# The long fuzz run: each parser's mutation test with LAB_FUZZ_CASES cases
# (default 100,000): Parquet (dataset and history readers), IDX, ONNX metadata, the
# manifest and model-spec parsers, and ingest's hand-written JPEG fast path. `make test` runs the same tests with 300 cases.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LAB_FUZZ_CASES=${LAB_FUZZ_CASES:-100000}
# Built the workspace way (as make build): `-p` would resolve features anew and
# rebuild arrow and parquet.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --release --workspace --test fuzz -- --nocapture 2>&1 | tee "$log" |
  grep -E "^fuzz |test result"
cargo test --release --workspace --lib mutated_files_are_refused -- --nocapture 2>&1 | tee -a "$log" |
  grep -E "^fuzz |test result: ok. 1"
# A case that takes over 5 s is a hang that happens to end: fail on it.
if grep -E "slowest case [0-9]+ ms" "$log" | awk '{ for (i = 1; i < NF; i++) if ($i == "slowest") { ms = $(i + 2); if (ms > 5000) bad = 1 } } END { exit bad }'; then
  echo "fuzz-long: no case over 5 s"
else
  echo "fuzz-long: a case took over 5 s" >&2
  exit 1
fi
