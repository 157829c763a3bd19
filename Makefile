# The two commands of the quick start:
#   make run    builds Release and starts the server on 127.0.0.1:8080 with a demo sale
#   make test   builds the asan preset (Debug + AddressSanitizer + UBSan) and runs the whole
#               CTest suite under it: one pass that checks the behaviour and the memory at once
# PRESET=debug|tsan|release|asan picks another CMake preset for build and test; `make build`
# alone builds the debug preset.
PRESET ?= debug
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

FUZZ_SECONDS ?= 60

.PHONY: deps build release run test fuzz clean

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

test: PRESET = asan
test: build
	ctest --preset $(PRESET) -j $(JOBS)

# Real fuzzing with clang + libFuzzer: each harness for FUZZ_SECONDS, from its seed corpus
# (new inputs go to build/fuzz/corpus-<name>, so tests/fuzz/corpus stays as committed).
fuzz:
	@scripts/install-deps.sh --fuzz
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	@for name in jwt rfc3339 json_body router; do \
	  mkdir -p build/fuzz/corpus-$$name; \
	  build/fuzz/tests/fuzz_$$name build/fuzz/corpus-$$name tests/fuzz/corpus/$$name \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done

clean:
	rm -rf build
