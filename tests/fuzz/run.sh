#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan, every library instrumented) in
# build-fuzz and runs each for a bounded time on its seed corpus. Crash inputs are left in
# build-fuzz/artifacts/. Env: QIAO_FUZZ_SECONDS (per target, default 20), QIAO_JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH="${QIAO_FUZZ_SECONDS:-20}"
JOBS="${QIAO_JOBS:-2}"
CC_BIN="${QIAO_FUZZ_CC:-clang-14}"
CXX_BIN="${QIAO_FUZZ_CXX:-clang++-14}"
if ! command -v "$CXX_BIN" >/dev/null; then
  echo "fuzz: $CXX_BIN not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DQIAO_FUZZ=ON -DQIAO_SANITIZE=fuzzer-no-link,address,undefined >/dev/null
TARGETS=(fuzz_mapping_loader fuzz_mapping_expr fuzz_json_reader fuzz_decimal fuzz_wecom_callback
         fuzz_xlsx_reader fuzz_csv_reader)
cmake --build build-fuzz -j"$JOBS" --target "${TARGETS[@]}"
mkdir -p build-fuzz/artifacts
declare -A CORPUS=([fuzz_mapping_loader]=mapping [fuzz_mapping_expr]=expr [fuzz_json_reader]=json
                   [fuzz_decimal]=decimal [fuzz_wecom_callback]=wecom [fuzz_xlsx_reader]=xlsx
                   [fuzz_csv_reader]=csv)
status=0
for t in "${TARGETS[@]}"; do
  # New inputs go to a scratch corpus in build-fuzz; the seeds in the repo stay as committed.
  work="build-fuzz/corpus/${CORPUS[$t]}"
  mkdir -p "$work"
  echo "== fuzz $t (${SECONDS_EACH}s)"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build-fuzz/bin/$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
      "$work" "tests/fuzz/corpus/${CORPUS[$t]}" 2>"build-fuzz/$t.log"; then
    echo "fuzz: $t FAILED; see build-fuzz/$t.log and build-fuzz/artifacts/" >&2
    tail -n 40 "build-fuzz/$t.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "build-fuzz/$t.log" || true
  fi
done
exit $status
