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

.PHONY: all deps build run test asan-test bench bench-peers bench-rollups bench-cardinality bench-mixed peer-packages fuzz clean

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
	STRATA_TSBS_FILE=$(BENCH_DATA)/cpu_h100_d1_s42.lp $(BUILD_DIR)/bench/memtable_bench \
	  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	$(BUILD_DIR)/bench/wal_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
	scripts/bench-load $(BUILD_DIR) $(BENCH_DATA)/cpu_h100_d1_s42.lp

$(BENCH_DATA)/cpu_h100_d1_s42_c0.01.lp:
	mkdir -p $(BENCH_DATA)
	python3 ../shared/peers/gen_workload.py --hosts 100 --days 1 --seed 42 --corrections 0.01 --out $@

# Rollups: answers equal raw data (TSBS, 1% corrections, late writes, a delete, ../shared/data),
# and Q2/Q3 from a rollup against the same queries forced onto raw data. Exit 1 on a difference.
bench-rollups: build $(BENCH_DATA)/cpu_h100_d1_s42.lp $(BENCH_DATA)/cpu_h100_d1_s42_c0.01.lp
	python3 bench/bench_rollups.py $(BUILD_DIR) $(BENCH_DATA)/cpu_h100_d1_s42.lp \
	  $(BENCH_DATA)/cpu_h100_d1_s42_c0.01.lp

# TSBS cpu-only query suite on Strata, VictoriaMetrics 1.79.5 and InfluxDB 1.6.7 (Debian packages,
# installed here if missing; their systemd units are not used: bench/bench_queries.py starts each
# peer by hand through ../shared/peers, one at a time). Writes BENCHMARKS.md and
# bench/results/queries.json; takes a few minutes. Then bench/bench_ingest.py: ingest until
# queryable, peak RSS, settled bytes/point, restart after kill -9 (bench/results/ingest.json and
# its own BENCHMARKS.md section; about 15 minutes with the defaults on a quiet 2-core machine).
PEER_PACKAGES ?= influxdb influxdb-client victoria-metrics
# Scale of the workload: `make bench-peers HOSTS=1000` is the 10x workload. WAL_GB=0 skips the
# Strata restart with that much WAL (bench_ingest.py: generates a multi-day workload once, ~1.3 GB
# for 1 GB; about 2 minutes). The ingest part runs INGEST_RUNS fresh runs per system.
HOSTS       ?= 100
DAYS        ?= 1
WAL_GB      ?= 1
INGEST_RUNS ?= 3
PEER_WORKLOAD = $(BENCH_DATA)/cpu_h$(HOSTS)_d$(DAYS)_s42.lp
ifneq ($(PEER_WORKLOAD),$(BENCH_DATA)/cpu_h100_d1_s42.lp)
$(PEER_WORKLOAD):
	mkdir -p $(BENCH_DATA)
	python3 ../shared/peers/gen_workload.py --hosts $(HOSTS) --days $(DAYS) --seed 42 --out $@
endif

bench-peers: build $(PEER_WORKLOAD) peer-packages
	python3 bench/bench_queries.py --build-dir $(BUILD_DIR) --data $(PEER_WORKLOAD)
	python3 bench/bench_ingest.py --build-dir $(BUILD_DIR) --data $(PEER_WORKLOAD) \
	  --runs $(INGEST_RUNS) --wal-gb $(WAL_GB)

peer-packages:
	@missing=""; for p in $(PEER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "bench-peers: installing$$missing"; \
	  sudo_cmd=""; if [ "$$(id -u)" -ne 0 ]; then sudo_cmd=sudo; fi; \
	  $$sudo_cmd apt-get update -qq && \
	  $$sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null && \
	  if [ -d /run/systemd/system ]; then \
	    $$sudo_cmd systemctl disable --now influxdb victoria-metrics >/dev/null 2>&1 || true; \
	  fi; \
	fi

# High cardinality (issue 8): 1,000,000 series (100,000 hosts x 10 fields, 3 rows each, generated
# once into $(BENCH_DATA)) on Strata and VictoriaMetrics: ingest until queryable, memory per
# series, single-series query latency, 3 runs each. Writes BENCHMARKS.md and
# bench/results/cardinality.json; takes about 10 minutes.
bench-cardinality: build peer-packages
	python3 bench/bench_cardinality.py --build-dir $(BUILD_DIR) --bench-data $(BENCH_DATA)

# Mixed load (issue 8): Strata ingests the TSBS-like workload at 50 % of its maximum rate while a
# client loops dashboard queries; latency percentiles beside an idle baseline, 3 runs. Writes
# BENCHMARKS.md and bench/results/mixed.json; takes a few minutes.
bench-mixed: build $(BENCH_DATA)/cpu_h100_d1_s42.lp peer-packages
	python3 bench/bench_mixed.py --build-dir $(BUILD_DIR) --data $(BENCH_DATA)/cpu_h100_d1_s42.lp

# libFuzzer needs clang: `make fuzz FUZZ_SECONDS=300` runs each fuzzer of FUZZERS that long,
# starting from its checked-in corpus (`make fuzz FUZZERS=query_parser` runs one).
FUZZ_SECONDS ?= 60
FUZZERS ?= line_protocol query_parser codec_decode
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSTRATA_BUILD_FUZZERS=ON -DSTRATA_BUILD_BENCH=OFF -DSTRATA_BUILD_TESTS=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(addsuffix _fuzzer,$(FUZZERS))
	set -e; for f in $(FUZZERS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$f && cp -n tests/fuzz/corpus/$$f/* $(FUZZ_DIR)/corpus/$$f/; \
	  dict=""; [ -f tests/fuzz/$$f.dict ] && dict="-dict=tests/fuzz/$$f.dict"; \
	  $(FUZZ_DIR)/tests/fuzz/$${f}_fuzzer $(FUZZ_DIR)/corpus/$$f $$dict \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096; \
	done

clean:
	rm -rf build
