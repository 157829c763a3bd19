# The two commands of the quick start:
#   make run    builds Release and starts the server on 127.0.0.1:8080 with a demo sale
#   make test   builds the debug preset and runs the whole CTest suite
# PRESET=asan|tsan|release|debug picks another CMake preset for build and test.
PRESET ?= debug
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: deps build release run test clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) -j $(JOBS)

# Only the server: the quick start should not wait for the test suite to compile.
release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target flashsale

run: release
	build/release/src/app/flashsale serve --listen $(LISTEN) --data-dir $(DATA_DIR) --demo-sale

test: build
	ctest --preset $(PRESET) -j $(JOBS)

clean:
	rm -rf build
