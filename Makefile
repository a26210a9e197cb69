# Entry points. The pipeline's own rules (one per stage output) are generated from
# pipeline.toml; see README.md.
CARGO ?= cargo
BIN := target/release

.PHONY: all setup build test demo bench clean

all: demo

setup:
	@bash scripts/setup.sh

build:
	$(CARGO) build --release --workspace

# The test command of the README and of .ci/run.
test: setup
	$(CARGO) test --release --workspace

demo: setup build
	$(BIN)/ingest idx --images data/mnist-10k/train-images-idx3-ubyte.gz --labels data/mnist-10k/train-labels-idx1-ubyte.gz --out out/data/mnist-train.parquet
	$(BIN)/ingest idx --images data/mnist-10k/t10k-images-idx3-ubyte.gz --labels data/mnist-10k/t10k-labels-idx1-ubyte.gz --out out/data/mnist-test.parquet

clean:
	rm -rf out report
