#!/usr/bin/env bash
# Build relmap's libFuzzer targets with clang and run each for SECONDS (default
# 30) from its seed corpus in tests/fuzz/. A crash stops the script with exit 1
# and leaves the input in build-fuzz/crashes/: keep it as a regression test.
# FUZZ_SEED (default 1) makes a run repeatable; FUZZ_CI=1 bounds each target by a
# fixed number of inputs (about 30 s on the CI machine) instead of by time. Skips (exit 0) when clang or its fuzzer runtime (libclang-rt-14-dev) is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
if ! command -v clang >/dev/null; then
  echo "fuzz: SKIPPED: clang is not installed"
  exit 0
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "fuzz: SKIPPED: clang has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
  exit 0
fi
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DRELMAP_FUZZ=ON -DBUILD_TESTING=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target fuzz_rules fuzz_extract fuzz_dot fuzz_factor >/dev/null
mkdir -p build-fuzz/crashes
status=0
for target in rules extract dot factor; do
  work=build-fuzz/corpus_$target
  mkdir -p "$work"
  # Graphviz's DOT parser leaks on malformed input inside cgraph itself
  leaks=1
  [ "$target" = dot ] && leaks=0
  if [ -n "${FUZZ_CI:-}" ]; then
    echo "fuzz: $target, a fixed number of inputs, seed ${FUZZ_SEED:-1}"
  else
    echo "fuzz: $target for ${seconds}s, seed ${FUZZ_SEED:-1}"
  fi
  # CI: a fixed number of inputs a target (about 30 s here) with a fixed seed, so that
  # a run explores the same inputs on any machine; by hand: SECONDS of wall time
  bound=-max_total_time="$seconds"
  if [ -n "${FUZZ_CI:-}" ]; then
    case $target in rules) bound=-runs=45000 ;; extract) bound=-runs=35000 ;; dot) bound=-runs=2500000 ;; factor) bound=-runs=1500000 ;; esac
  fi
  if ! ASAN_OPTIONS=detect_leaks=$leaks build-fuzz/tests/fuzz/fuzz_$target "$work" "tests/fuzz/corpus_$target" \
        "$bound" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -seed="${FUZZ_SEED:-1}" \
        -artifact_prefix=build-fuzz/crashes/"$target"- -print_final_stats=1 2>build-fuzz/fuzz_$target.log; then
    echo "fuzz: $target FAILED; see build-fuzz/fuzz_$target.log and build-fuzz/crashes/"
    tail -30 build-fuzz/fuzz_$target.log
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/fuzz_$target.log | tr '\n' ' '
    echo
  fi
done
exit $status
