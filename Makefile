# Developer entry points. `make run` and `make test` are the two commands a newcomer needs.
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= 2
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?=

.PHONY: all setup build build-asan run test unit integration compat test-asan bench bench-rdb bench-repl bench-types bench-pubsub-eval bench-aof clean

all: build

setup:
	@scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

$(ASAN_BUILD_DIR)/build.ninja:
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON $(CMAKE_FLAGS)

build-asan: setup $(ASAN_BUILD_DIR)/build.ninja
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/ember-server ember.conf

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

integration: build
	EMBER_SERVER=$(abspath $(BUILD_DIR))/ember-server $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration tests/compat tests/interop

# Every suite on the Release build, then again under ASan/UBSan.
test: unit integration test-asan

test-asan: build-asan
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600
	EMBER_SERVER=$(abspath $(ASAN_BUILD_DIR))/ember-server $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration tests/compat tests/interop

bench: build
	bench/run.sh $(BUILD_DIR)/ember-server

bench-rdb: build
	bench/rdb.sh $(BUILD_DIR)/ember-server

bench-repl: build
	bench/repl.sh $(BUILD_DIR)/ember-server

bench-types: build
	bench/types.sh $(BUILD_DIR)/ember-server

bench-pubsub-eval: build
	bench/pubsub_eval.sh $(BUILD_DIR)/ember-server

bench-aof: build
	bench/aof.sh $(BUILD_DIR)/ember-server

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
