#!/usr/bin/env bash
# The workspace type-checks for the platforms the README promises beyond this one:
# macOS on Apple silicon (aarch64-apple-darwin) and Linux on aarch64. `cargo check`
# runs the build scripts, whose C (zstd, psm) is compiled by a stand-in (scripts/test/
# standin/cc, ar: empty objects), since nothing is linked. Adds the Rust targets with
# rustup the first time. Checked in target/cross, apart from the release build.
#
#   scripts/test/cross-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGETS=(aarch64-apple-darwin aarch64-unknown-linux-gnu)
if ! command -v rustup >/dev/null; then
  echo "skipped: cross-check: needs rustup to add the targets ${TARGETS[*]}"
  exit 0
fi
installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<< "$installed" || rustup target add "$t"
done
STANDIN=$(pwd)/scripts/test/standin
args=()
for t in "${TARGETS[@]}"; do
  var=${t//-/_}
  export "CC_$var=$STANDIN/cc" "AR_$var=$STANDIN/ar"
  args+=(--target "$t")
done
CARGO_TARGET_DIR=target/cross ${CARGO:-cargo} check --quiet --workspace "${args[@]}"
echo "cross-check: the workspace type-checks for ${TARGETS[*]}"
echo "${#TARGETS[@]} passed, 0 failed"
