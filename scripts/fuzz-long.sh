#!/usr/bin/env bash
# The long fuzz run (issue 11): each parser's mutation test with LAB_FUZZ_CASES cases
# (default 100,000): Parquet (dataset and history readers), IDX, ONNX metadata, and the
# manifest and model-spec parsers. `make test` runs the same tests with 300 cases.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAB_FUZZ_CASES=${LAB_FUZZ_CASES:-100000}
cargo test --release -p formats -p ingest -p onnx -p pipeline --test fuzz -- --nocapture 2>&1 |
  grep -E "^fuzz |test result"
