#!/usr/bin/env bash
# The training engine on aarch64 (Graviton, Apple Silicon's architecture) under qemu:
#   1. builds `train` and its tests for aarch64-unknown-linux-gnu (cross gcc for the C in
#      zstd-sys and psm);
#   2. runs the train library's tests under qemu-aarch64: the kernels' contract tests on
#      the NEON and portable paths, the gradient checks, Adam against Keras;
#   3. runs tests/kernel_paths.rs under qemu (the four example nets on neon and portable,
#      byte-identical to each other) and the same test natively on x86-64 (avx512, avx2,
#      portable), keeping each net's model.onnx, and compares the two sets byte for byte.
# The first run cross-builds the dependency set (most of its time); later runs reuse it.
# Not part of `make test`. Set-up (root; otherwise it names what is missing):
# `rustup target add aarch64-unknown-linux-gnu`, Debian's gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-user.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu

rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
need=""
command -v aarch64-linux-gnu-gcc >/dev/null || need="$need gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
command -v qemu-aarch64 >/dev/null || need="$need qemu-user"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  else
    echo "test-aarch64: install the Debian packages$need first" >&2
    exit 1
  fi
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $SYSROOT"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/x86_64" "$WORK/aarch64"

echo "test-aarch64: the train library's tests under qemu-aarch64" >&2
cargo test --release --target "$TARGET" -p train --lib

echo "test-aarch64: the example nets on every aarch64 path, under qemu" >&2
LAB_TRAIN_RUNNER="qemu-aarch64 -L $SYSROOT" LAB_KERNEL_MODELS="$WORK/aarch64" \
  cargo test --release --target "$TARGET" -p train --test kernel_paths -- --nocapture

echo "test-aarch64: the same nets on every x86-64 path of this CPU" >&2
LAB_KERNEL_MODELS="$WORK/x86_64" cargo test --release --workspace --test kernel_paths -- --nocapture

fail=0
for f in "$WORK"/x86_64/*.onnx; do
  name=$(basename "$f")
  if cmp -s "$f" "$WORK/aarch64/$name"; then
    echo "test-aarch64: $name identical on x86-64 and aarch64 ($(stat -c %s "$f") bytes)"
  else
    echo "test-aarch64: $name DIFFERS between x86-64 and aarch64" >&2
    fail=1
  fi
done
[ "$(ls "$WORK/x86_64" | wc -l)" = 4 ] || { echo "test-aarch64: expected 4 models" >&2; fail=1; }
exit $fail
