#!/usr/bin/env bash
# The long fuzz run (issue 11): each parser's mutation test with LAB_FUZZ_CASES cases
# (default 100,000): Parquet (dataset and history readers), IDX, ONNX metadata, the
# manifest and model-spec parsers, and ingest's hand-written JPEG fast path. `make test` runs the same tests with 300 cases.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAB_FUZZ_CASES=${LAB_FUZZ_CASES:-100000}
cargo test --release -p formats -p ingest -p onnx -p pipeline --test fuzz -- --nocapture 2>&1 |
  grep -E "^fuzz |test result"
cargo test --release -p ingest --lib mutated_files_are_refused -- --nocapture 2>&1 |
  grep -E "^fuzz |test result: ok. 1"
