# The two commands of the README: `make demo` and `make test`. Both install
# what is missing (scripts/install-deps.sh), configure, build, then run.
MAKEFLAGS += --no-print-directory
BUILD_DIR ?= build
JOBS ?= 2
CTEST_ARGS ?=

.PHONY: all deps configure build demo test bench format clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release --log-level=WARNING >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)/bin

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

bench: build
	@scripts/bench.sh $(BUILD_DIR)/bin

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
