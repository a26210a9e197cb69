# Entry points. The pipeline's own rules (one per stage output) are generated from
# pipeline.toml by `pipeline make` into build/pipeline.mk; see README.md and
# docs/pipeline.md.

# Those rules write a stage's several outputs as one grouped target (`a b &: …`), which
# GNU make before 4.3 silently runs once per output (the same stage twice at once).
ifneq ($(filter 3.% 4.0 4.0.% 4.1 4.1.% 4.2 4.2.%,$(MAKE_VERSION)),)
$(error GNU make 4.3 or newer is needed and this is $(MAKE_VERSION), which would run some stages twice; on macOS: `brew install make`, then use `gmake`)
endif

CARGO ?= cargo
# Where cargo puts the binaries (CARGO_TARGET_DIR moves it).
BIN := $(or $(CARGO_TARGET_DIR),target)/release
MANIFEST ?= pipeline.toml
FRAGMENT := build/pipeline.mk
# The ONNX Runtime library that train and evaluate load (made by scripts/setup/setup.sh).
PIPELINE_RUNTIME := .venv/.setup-ok

.PHONY: all setup build test demo bench clean ray

# `make` runs the pipeline (whatever is out of date), ending with the report.
all: pipeline

setup:
	@bash scripts/setup/setup.sh

build:
	$(CARGO) build --release --workspace

# The test command of the README and of .ci/run: formatting and lints first (they fail
# fast), then every test, then the bad-input matrix over the five binaries, then the
# HTML report in headless Chromium, then the scale-out executor on a 2-node Ray cluster
# in a private network namespace (which installs Ray itself; as root on Linux only).
# Checks this machine cannot run print `skipped: …` and pass.
test:
	@bash scripts/setup/setup.sh --with fashion --with interop
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	$(CARGO) test --release --workspace
	bash scripts/test/bad-inputs.sh $(BIN)
	bash scripts/test/cli-habits.sh $(BIN)
	bash scripts/test/browser-test.sh $(BIN)
	bash scripts/test/ray-test.sh
	bash scripts/test/dvc-test.sh $(BIN)
	bash scripts/test/export-test.sh $(BIN)
	CARGO=$(CARGO) bash scripts/test/cross-check.sh

# The whole default pipeline from a fresh clone, timed, ending with the report's path
# (two stages at a time: this machine has 2 cores).
DEMO_JOBS ?= 2
demo:
	@if [ ! -x $(BIN)/pipeline ]; then \
	  echo "demo: first build of the five stage binaries: about 10 minutes on 2 cores (once; later builds take seconds)"; \
	fi
	@bash scripts/setup/setup.sh
	$(CARGO) build --release --workspace
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(DEMO_JOBS) pipeline && \
	echo "demo: pipeline done in $$(( $$(date +%s) - start )) s; report: $(CURDIR)/report/index.html (and index.md)"

# The four benchmarks against their Python peers (Keras, scikit-image, PIL), each
# printing ratios measured in the same run; installs .venv-bench (TensorFlow) first.
# `build` is the benchmarks' one build (SKIP_BUILD: the scripts do not build again).
bench: build
	@bash scripts/setup/setup.sh --with fashion
	bash scripts/setup/setup-bench.sh
	SKIP_BUILD=1 bash scripts/bench/bench-ingest.sh
	SKIP_BUILD=1 bash scripts/bench/bench-hog.sh
	SKIP_BUILD=1 bash scripts/bench/bench-train.sh
	SKIP_BUILD=1 bash scripts/bench/bench-evaluate.sh

clean:
	rm -rf out report $(FRAGMENT)

# The pipeline through Ray (docs/scale-out.md): pipeline/ray/ray_run.py runs the plan of
# `pipeline plan --shards $(RAY_SHARDS)` on a throwaway one-node Ray cluster that
# scripts/test/ray-local.sh starts in a private network namespace (loopback only; Linux,
# root) and stops after. Out-of-date rule as make's; its own, so no fragment is read.
RAY_SHARDS ?= 2
ray: $(BIN)/ingest $(BIN)/features $(BIN)/train $(BIN)/evaluate $(BIN)/pipeline
	@bash scripts/setup/setup.sh --with ray
	bash scripts/test/ray-local.sh -- .venv/bin/python pipeline/ray/ray_run.py --address 127.0.0.1:6390 \
	    --shards $(RAY_SHARDS) --manifest $(MANIFEST) --bin $(BIN)

# Only when missing (as the binaries below): `make -n -B RUN` does not list set-up.
ifeq ($(wildcard $(PIPELINE_RUNTIME)),)
$(PIPELINE_RUNTIME):
	@bash scripts/setup/setup.sh
endif

# A stage binary that is missing is built, once for all of them (the workspace build, as
# `make build`: `-p NAME` would resolve features anew and rebuild arrow and parquet).
# Binaries that exist have no rule, so a rebuilt one does not re-run stages and
# `make -n -B RUN` neither prints nor runs a build.
STAGE_BINARIES := $(addprefix $(BIN)/,ingest features train evaluate pipeline)
MISSING_BINARIES := $(filter-out $(wildcard $(STAGE_BINARIES)),$(STAGE_BINARIES))
ifneq ($(MISSING_BINARIES),)
$(MISSING_BINARIES) &:
	$(CARGO) build --release --workspace
endif

# The fragment: regenerated (with the changed parameter files) when the manifest
# or the pipeline binary changes.
$(FRAGMENT): $(MANIFEST) $(BIN)/pipeline
	$(BIN)/pipeline make --manifest $(MANIFEST) --out $@

# Goals that need no pipeline rules do not build the pipeline binary to read them.
NO_FRAGMENT_GOALS := setup build test demo bench clean ray
ifneq ($(filter-out $(NO_FRAGMENT_GOALS),$(MAKECMDGOALS))$(if $(MAKECMDGOALS),,all),)
include $(FRAGMENT)
endif
