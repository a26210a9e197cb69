# The make targets as just recipes (https://just.systems): the same commands, for those
# who come with just. make stays the engine of the pipeline's own rules (one per stage
# output, generated from pipeline.toml), so these recipes call make for them: `make`, or
# the GNU make ≥ 4.3 that MAKE names (`MAKE=gmake just demo` on macOS).

make := env_var_or_default("MAKE", "make")

# List the recipes.
default:
    @just --list

# Install what the demo needs (.venv with onnxruntime, onnx, pyarrow).
setup:
    {{make}} setup

# Build the five stage binaries (release).
build:
    {{make}} build

# The whole default pipeline from a fresh clone, timed, ending with the report's path.
demo:
    {{make}} demo

# What CI runs: rustfmt, clippy, every test, the bad-input matrix.
test:
    {{make}} test

# Everything out of date in the pipeline, ending with the report.
pipeline:
    {{make}} pipeline

# One run of the manifest (its data, features, training and evaluation), e.g. `just run mlp`.
run RUN:
    {{make}} {{RUN}}

# The commands of one run, up to date or not, ready to paste into a shell.
show RUN:
    {{make}} build >/dev/null
    target/release/pipeline show {{RUN}}

# The pipeline's DAG; `just plan 4 --json` is what pipeline/ray/ray_run.py runs.
plan SHARDS="1" *FLAGS:
    {{make}} build >/dev/null
    target/release/pipeline plan --shards {{SHARDS}} {{FLAGS}}

# The pipeline on a local two-node Ray cluster (docs/scale-out.md).
ray:
    {{make}} ray

# The benchmarks against Keras, PyTorch, scikit-image and PIL.
bench:
    {{make}} bench

# Remove the pipeline's outputs (out/, report/, build/).
clean:
    {{make}} clean
