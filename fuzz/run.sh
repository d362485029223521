#!/usr/bin/env bash
# Fuzzes every target with AFL++ for a while and reports what each found.
#
#   fuzz/run.sh [seconds-per-target] [target...]     (default: 60 s, every target)
#
# Installs cargo-afl when missing (the version matching the `afl` crate in Cargo.toml),
# builds the targets instrumented, runs `cargo afl fuzz` on each in turn from its seeds in
# in/<target>/ into out/<target>/, then prints executions, crashes and hangs per target.
# Exits 1 if any target crashed (the inputs are in out/<target>/default/crashes/; replay
# one with `target/release/<target> < FILE`).
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-60}"
shift || true
all_targets=(wechatpay_notify alipay_notify money_parse catalog_csv request_json)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

afl_version=$(sed -n 's/^afl = "=\([0-9.]*\)"/\1/p' Cargo.toml)
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo afl --version 2>/dev/null | grep -q "^cargo-afl $afl_version "; then
    echo "== installing cargo-afl $afl_version (builds AFL++ too; needs a C compiler and make)"
    start=$(date +%s)
    cargo install cargo-afl --version "$afl_version" --locked
    echo "== cargo-afl installed in $(($(date +%s) - start)) s"
fi

echo "== building the targets"
cargo afl build --release --bins

# A shared machine: no CPU-frequency check, no core-dump pattern check, no UI.
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1
export AFL_NO_AFFINITY=1

status=0
report=()
for t in "${targets[@]}"; do
    if [ ! -d "in/$t" ]; then
        echo "no seeds in in/$t" >&2
        exit 2
    fi
    rm -rf "out/$t"
    mkdir -p "out/$t"
    echo "== fuzzing $t for $secs s"
    # -V: run for this many seconds; the log goes to a file, the figures come from fuzzer_stats.
    cargo afl fuzz -i "in/$t" -o "out/$t" -V "$secs" "target/release/$t" >"out/$t/afl.log" 2>&1 || {
        echo "afl-fuzz failed for $t; last lines of out/$t/afl.log:" >&2
        tail -n 20 "out/$t/afl.log" >&2
        exit 2
    }
    stats="out/$t/default/fuzzer_stats"
    stat() { sed -n "s/^$1 *: *//p" "$stats"; }
    execs=$(stat execs_done)
    crashes=$(stat saved_crashes)
    hangs=$(stat saved_hangs)
    paths=$(stat corpus_count)
    speed=$(stat execs_per_sec)
    report+=("$(printf '%-18s execs %10s  (%8s/s)  corpus %5s  crashes %3s  hangs %3s' "$t" "$execs" "$speed" "$paths" "$crashes" "$hangs")")
    if [ "${crashes:-0}" -gt 0 ]; then
        status=1
    fi
done

echo
echo "== results ($secs s per target)"
printf '%s\n' "${report[@]}"
if [ "$status" -ne 0 ]; then
    echo "CRASHES FOUND: see out/<target>/default/crashes/" >&2
fi
exit "$status"
