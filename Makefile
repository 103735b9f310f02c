# Assay — the two commands are `make demo` and `make test`.
# Everything they need is installed here, idempotently and quietly.

SWIFT      ?= swift
PYTHON     ?= python3
VENV       := .venv
VPY        := $(VENV)/bin/python
BUILD_FLAGS ?=
BIN        := .build/debug
DEMO_OUT   := assay-runs/demo-$(shell date +%Y%m%d-%H%M%S)
# libmongoc's automatic init keeps per-process counters in /dev/shm/mongoc-<pid>; a
# process killed without cleanup leaves its segment, and the next process with that pid
# (pid_max is 32768 here) prints "Falling back to malloc for counters" on stderr. The
# counters are only for diagnostics: keep them in memory (docs/troubleshooting.md).
export MONGOC_DISABLE_SHM := 1

.PHONY: demo test bench build build-tests deps swift-check venv clean manifests images-check images-rootfs screenshots

## demo: build and run the example sweep on this machine: an embedded server
## (SQLite in ./assay-data) and Runner processes, no cluster
demo: deps build
	$(BIN)/assay run examples/logreg/assay.yaml --output $(DEMO_OUT)

## test: every test CI runs (Swift unit tests, then system tests through the real CLI)
test: deps build-tests venv
	$(SWIFT) test --skip-build $(BUILD_FLAGS)
	$(VPY) -m pytest -q Tests/kubeapi
	$(VPY) -m pytest -q Tests/deploy
	ASSAY_BIN=$(CURDIR)/$(BIN)/assay $(VPY) -m pytest -q Tests/system
	$(VPY) -m pytest -q Tests/browser
	PYTHON=$(VPY) scripts/image-check.sh assay-runner

## bench: benchmarks with ratios against baselines measured in the same run
bench: deps venv
	$(SWIFT) build -c release --product assay-bench $(BUILD_FLAGS)
	$(SWIFT) build -c release --product assay-server $(BUILD_FLAGS)
	$(SWIFT) build -c release --product assay-runner $(BUILD_FLAGS)
	.build/release/assay-bench
	$(VPY) benchmarks/ingest.py .build/release/assay-server
	$(VPY) benchmarks/overhead.py .build/release/assay-server .build/release/assay-runner
	$(VPY) benchmarks/kube.py .build/release/assay-server
	$(VPY) benchmarks/search.py .build/release/assay-server .build/release/assay-runner
	$(VPY) benchmarks/scale.py .build/release/assay-server
	$(VPY) benchmarks/first_trial.py .build/release/assay-server .build/release/assay-runner
	$(VPY) benchmarks/report.py

## screenshots: docs/screenshots/*.png of each page, from a live server with real sweeps
screenshots: deps build-tests venv
	$(VPY) Tests/browser/screenshots.py

## manifests: render manifests/assay.yaml from helm/assay (a test fails when they drift)
manifests: venv
	$(VPY) Tests/deploy/render_manifests.py

## images-check: what the image builds do, here (no Docker): hadolint on both Dockerfiles, the builder
## stages' static release builds (runner-image/build.sh), their libraries against the final stages'
## packages, the binaries run without the Swift toolchain
images-check: deps venv
	PYTHON=$(VPY) scripts/image-check.sh

## images-rootfs: the final stages played into a debootstrapped bookworm and run as Kubernetes runs them
images-rootfs: deps venv
	PYTHON=$(VPY) scripts/image-rootfs.sh

build: swift-check
	$(SWIFT) build --product assay $(BUILD_FLAGS)
	$(SWIFT) build --product assay-runner $(BUILD_FLAGS)

build-tests: swift-check
	$(SWIFT) build --build-tests $(BUILD_FLAGS)

# System libraries the build links (Debian package names).
APT_PACKAGES := pkg-config libsqlite3-dev libmongoc-dev libbson-dev libcurl4-openssl-dev libssl-dev
# Only the tests need these (the web UI's browser suite); the image builders do not.
TEST_APT_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps: swift-check
	@missing=$$(for p in $(APT_PACKAGES) $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  $(SUDO) apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null \
	  || { echo "Assay needs python3 >= 3.10 for its examples and tests (found: $$($(PYTHON) --version 2>&1))"; exit 1; }

swift-check:
	@command -v $(SWIFT) >/dev/null || { echo "Assay needs a Swift 6.2+ toolchain on PATH (swift.org/install)"; exit 1; }

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

clean:
	rm -rf .build .build-static $(VENV) assay-runs
