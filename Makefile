# Strata: the two set-up commands are `make run` and `make test` (README.md).
# Every target installs missing Debian packages first (scripts/install-deps; fast when present).

BUILD_DIR   ?= build/release
ASAN_DIR    ?= build/asan
FUZZ_DIR    ?= build/fuzz
JOBS        ?= $(shell nproc)
DATA_DIR    ?= ./data
PORT        ?= 7070
FSYNC       ?= always
CMAKE_FLAGS ?=
BENCH_DATA  ?= build/bench-data

.PHONY: all deps build run test asan-test bench fuzz clean

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@echo ""
	@echo "Starting stratad on 127.0.0.1:$(PORT), data in $(DATA_DIR) (Ctrl-C stops it cleanly)."
	@echo "In another terminal:"
	@echo "  printf 'cpu,host=a,region=eu usage=12.5\nSYNC\n' | $(BUILD_DIR)/tools/strata load -"
	@echo "  $(BUILD_DIR)/tools/strata query 'SELECT count(usage), mean(usage) FROM cpu'"
	@echo ""
	$(BUILD_DIR)/server/stratad --data-dir $(DATA_DIR) --port $(PORT) --fsync $(FSYNC)

test: build
	cd $(BUILD_DIR) && ctest -j $(JOBS) --output-on-failure --timeout 600

$(ASAN_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSTRATA_SANITIZE=address,undefined -DSTRATA_BUILD_BENCH=OFF $(CMAKE_FLAGS)

asan-test: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && STRATA_CRASH_POINTS=200000 ctest -j $(JOBS) --output-on-failure --timeout 900

# Benchmarks need the TSBS-like workload; it is generated once into $(BENCH_DATA).
$(BENCH_DATA)/cpu_h100_d1_s42.lp:
	mkdir -p $(BENCH_DATA)
	python3 ../shared/peers/gen_workload.py --hosts 100 --days 1 --seed 42 --out $@

bench: build $(BENCH_DATA)/cpu_h100_d1_s42.lp
	STRATA_TSBS_FILE=$(BENCH_DATA)/cpu_h100_d1_s42.lp $(BUILD_DIR)/bench/parser_bench \
	  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	$(BUILD_DIR)/bench/wal_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
	scripts/bench-load $(BUILD_DIR) $(BENCH_DATA)/cpu_h100_d1_s42.lp

# libFuzzer needs clang: `make fuzz FUZZ_SECONDS=300` runs the line-protocol fuzzer.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSTRATA_BUILD_FUZZERS=ON -DSTRATA_BUILD_BENCH=OFF -DSTRATA_BUILD_TESTS=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target line_protocol_fuzzer
	mkdir -p $(FUZZ_DIR)/corpus && cp -n tests/fuzz/corpus/line_protocol/* $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/tests/fuzz/line_protocol_fuzzer $(FUZZ_DIR)/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=4096

clean:
	rm -rf build
