# Custos: thin wrapper around Meson. `make test` is what CI runs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 120
MESON      ?= meson

.PHONY: all deps test test-fast bench fuzz format clean demo

all: deps $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, after a
# plain build (which must also compile cleanly).
# Then custosd and custos-agent end to end under valgrind, in the plain build.
test: all $(ASAN_BUILD)/build.ninja
	$(MESON) compile -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2; \
		rc=$$?; python3 scripts/test-summary.py $(ASAN_BUILD)/meson-logs/testlog.json && [ $$rc = 0 ]
	rm -rf $(BUILD)/valgrind-logs
	$(MESON) test -C $(BUILD) --suite valgrind --print-errorlogs

# custosd releasing a secret to a (simulated) attested workload, end to end.
demo: all
	@scripts/demo.sh $(BUILD)

# Quick iteration without sanitizers.
test-fast: all
	$(MESON) test -C $(BUILD) --print-errorlogs --no-suite valgrind

bench:
	@scripts/install-deps.sh --bench
	@test -f build-release/build.ninja || $(MESON) setup build-release -Dbuildtype=release
	$(MESON) compile -C build-release bench/bench_snp bench/bench_dcap bench/bench_nitro bench/bench_appraise bench/bench_tpm bench/bench_nvgpu \
		bench/bench_custosd custosd:executable custos:executable custos-agent:executable \
		tools/custos-snp-sim
	scripts/bench-report.py build-release

# libFuzzer targets, each run for FUZZ_SECONDS under ASan+UBSan, seeded from tests/fuzz/seeds.
fuzz: deps
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang $(MESON) setup $(FUZZ_BUILD) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	$(MESON) compile -C $(FUZZ_BUILD)
	@for t in $(FUZZ_BUILD)/tests/fuzz/fuzz_*; do \
		[ -f "$$t" ] && [ -x "$$t" ] || continue; \
		name=$${t##*/fuzz_}; mkdir -p fuzz-out/$$name; \
		echo "fuzzing $$name for $(FUZZ_SECONDS)s"; \
		CUSTOS_FUZZ_COLLATERAL=tests/fuzz/seeds/snp_certtable/gsg-milan-v2-debug.bin \
		CUSTOS_FUZZ_DCAP=tests/fuzz/dcap CUSTOS_FUZZ_CCA=tests/fuzz/cca CUSTOS_FUZZ_TPM=tests/fuzz/tpm \
		CUSTOS_FUZZ_NVGPU=tests/fuzz/nvgpu \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 fuzz-out/$$name tests/fuzz/seeds/$$name || exit 1; \
	done

format:
	git ls-files '*.c' '*.h' | grep -v snp_roots.c | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-release fuzz-out
