# Kartoteka: the two commands of the README, and a few helpers.
#   make run    install what is missing, build, start the server on ./data/kartoteka.db
#   make test   install what is missing, build with ASan+UBSan, run every test through ctest

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE := build/release
TEST := build/test
FUZZ := build/fuzz
ARGS ?=

.PHONY: all build run test fuzz bench format clean

all: build

build:
	@scripts/deps.sh run
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS) --target kartoteka

run: build
	$(RELEASE)/kartoteka serve $(ARGS)

test:
	@scripts/deps.sh test
	@cmake -S . -B $(TEST) -DCMAKE_BUILD_TYPE=Debug -DKT_SANITIZE=ON -DKT_WERROR=ON >/dev/null
	@cmake --build $(TEST) -j $(JOBS)
	cd $(TEST) && ctest --output-on-failure -j $(JOBS)

# Coverage-guided fuzzing with libFuzzer (clang): `make fuzz FUZZ_SECONDS=60`.
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/deps.sh fuzz
	@CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DKT_FUZZ=ON -DBUILD_TESTING=OFF \
		-DKT_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS)
	@for t in $(FUZZ)/fuzz/fuzz_*; do \
		name=$$(basename $$t); mkdir -p $(FUZZ)/corpus/$$name; \
		echo "== $$name"; \
		$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ)/corpus/$$name fuzz/corpus/$${name#fuzz_} || exit 1; \
	done

# Benchmarks of BENCHMARKS.md (takes several minutes; bench/*.sh one by one for the rest).
bench:
	@scripts/deps.sh bench
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)
	bench/run.sh $(RELEASE)
	bench/import.sh $(RELEASE)
	bench/analytics.sh $(RELEASE)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
