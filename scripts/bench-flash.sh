#!/usr/bin/env bash
# The Double 11 flash-sale benchmark on each storage configuration, one after another:
#
#   sqlite      one `sweep serve` on a fresh data directory (SQLite, WAL, synchronous=FULL)
#   postgres-1  one `sweep serve` on a fresh PostgreSQL database
#   postgres-3  three `sweep serve` on ports 8081-8083 sharing one fresh database
#
# Each server runs with --demo (the rehearsal endpoint needs it) and SWEEP_LOG=warn; the
# bench (`sweep-bench flash`) sets up its own merchant through the API. The JSON line of
# every run is appended to $OUT. Arguments go to `sweep-bench flash`, e.g. a quick try:
#
#   scripts/bench-flash.sh --members 20000 --units 1000 --connections 200
#
# Environment: CONFIGS (default "sqlite postgres-1 postgres-3"), PG (a PostgreSQL server
# with trust auth, default postgres://postgres@127.0.0.1:5432), OUT (the JSON lines file),
# DAY=1 to run `sweep-bench day` after each flash run (DAY_ARGS are its arguments),
# PORT for the single-process configurations (default 8080), KEEP=1 to keep the data
# directories and databases.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGS=${CONFIGS:-"sqlite postgres-1 postgres-3"}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-target/bench-flash-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
DAY=${DAY:-0}
PORT=${PORT:-8080}
read -r -a DAY_ARGS <<<"${DAY_ARGS:-}"
FLASH_ARGS=("$@")

echo "building (release)…" >&2
cargo build --release -q -p sweep -p sweep-bench
SWEEP=target/release/sweep
BENCH=target/release/sweep-bench
mkdir -p "$(dirname "$OUT")"

PIDS=()
DIRS=()
DBS=()

stop_servers() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

cleanup() {
    stop_servers
    if [ "${KEEP:-0}" != 1 ]; then
        for dir in "${DIRS[@]}"; do rm -rf "$dir"; done
        for db in "${DBS[@]}"; do
            psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start PORT DATA_DIR [DATABASE_URL]
start() {
    local port=$1 dir=$2 db=${3:-}
    if curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; then
        echo "port $port is already serving; stop that server first" >&2
        exit 1
    fi
    local args=(serve --demo --addr "127.0.0.1:$port" --data-dir "$dir")
    [ -n "$db" ] && args+=(--database-url "$db")
    SWEEP_LOG=warn RUST_LOG=warn "$SWEEP" "${args[@]}" >"$dir/serve-$port.log" 2>&1 &
    PIDS+=($!)
    local pid=$!
    for _ in $(seq 1 600); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "sweep serve on port $port stopped; its log:" >&2
            tail -n 30 "$dir/serve-$port.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "sweep serve on port $port not ready after 300 s" >&2
    exit 1
}

# fresh_database CONFIG: creates an empty database and sets DB to its URL.
fresh_database() {
    local name="sweep_bench_$(date +%s)_$1"
    name=${name//-/_}
    psql -q -v ON_ERROR_STOP=1 "$PG/postgres" -c "CREATE DATABASE \"$name\"" >/dev/null
    DBS+=("$name")
    DB="$PG/$name"
}

for config in $CONFIGS; do
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sweep-bench-$config.XXXXXX")
    DIRS+=("$dir")
    case $config in
        sqlite)
            start "$PORT" "$dir"
            urls=http://127.0.0.1:$PORT
            ;;
        postgres-1)
            fresh_database "$config"
            start "$PORT" "$dir" "$DB"
            urls=http://127.0.0.1:$PORT
            ;;
        postgres-3)
            fresh_database "$config"
            # The first seeds the demo; the others find it seeded.
            for port in 8081 8082 8083; do
                mkdir -p "$dir/$port"
                start "$port" "$dir/$port" "$DB"
            done
            urls=http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083
            ;;
        *)
            echo "unknown configuration $config (sqlite, postgres-1, postgres-3)" >&2
            exit 1
            ;;
    esac
    echo "== $config: flash sale against $urls" >&2
    log="$dir/bench-flash.log"
    "$BENCH" flash --url "$urls" --label "$config" --fsync-dir "$dir" "${FLASH_ARGS[@]}" | tee "$log"
    grep '^{.*"bench":"' "$log" >>"$OUT"
    if [ "$DAY" = 1 ]; then
        echo "== $config: an ordinary day against $urls" >&2
        log="$dir/bench-day.log"
        "$BENCH" day --url "$urls" --label "$config" --fsync-dir "$dir" "${DAY_ARGS[@]}" | tee "$log"
        grep '^{.*"bench":"' "$log" >>"$OUT"
    fi
    stop_servers
done

echo "JSON lines: $OUT" >&2
