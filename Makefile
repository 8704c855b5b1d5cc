# Vigil: the two quick-start commands are `make run` and `make test`.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all bootstrap build release run test asan fuzz bench format clean

all: build

bootstrap:
	@./scripts/bootstrap.sh

$(BUILD_DIR)/build.ninja $(BUILD_DIR)/Makefile: | bootstrap
	@cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: bootstrap
	@cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# What to install: an optimised build, stripped, with its debug information kept apart in
# $(RELEASE_DIR)/dist/vigil.debug (see deploy/README.md).
RELEASE_DIR ?= build-release
release: bootstrap
	@cmake -S . -B $(RELEASE_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target vigil
	@./scripts/release_binary.sh $(RELEASE_DIR)/vigil $(RELEASE_DIR)/dist

# Starts Vigil: against Slack when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set, else the sandbox
# (a Slack emulator and a demo cluster, with a page on http://127.0.0.1:8080).
run: build
	@./scripts/run.sh $(BUILD_DIR)

# The browser test needs chromium, node and npm, the peer tests the real promtool and
# Alertmanager, and the agent argv test the three agent CLIs (npm): installed here when missing (as root), else those tests are skipped with a message.
# A failed test is run once more (its first failure stays in the output): the crash-restart tests
# kill and restart the binary on a loaded 2-core machine, and one of them has failed once in five
# full runs; a deterministic failure fails both tries.
test: build
	@./scripts/bootstrap.sh browser peers format agents || echo "make test: chromium/node/prometheus/alertmanager/clang-format/agent CLIs not all installed; the tests that need them will be skipped" >&2
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600 --repeat until-pass:2

# The whole suite built with clang (the second compiler, so one compiler's coroutine bug cannot
# hide) under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: bootstrap
	@./scripts/bootstrap.sh clang peers || echo "make asan: prometheus/alertmanager not installed; the tests that need them will be skipped" >&2
	@CC=clang CXX=clang++ cmake -S . -B $(ASAN_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 --repeat until-pass:2

# Coverage-guided fuzzing of the parsers of untrusted input (clang, libFuzzer, ASan + UBSan):
# replays fuzz/regressions/, then runs each fuzz/fuzz_*.cpp target for FUZZ_SECONDS seconds.
# FUZZ_PARALLEL=2 fuzzes two targets at once; FUZZ_KEEP_CORPUS=1 merges what a run found into fuzz/corpus/.
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD_DIR=$(FUZZ_DIR) JOBS=$(JOBS) ./scripts/fuzz.sh

# Formats the C++ sources as .clang-format says (ctest repo.clang_format checks it).
format:
	@./scripts/bootstrap.sh format
	@./scripts/check_format.sh --fix

bench: build
	@./scripts/bench.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(RELEASE_DIR)
