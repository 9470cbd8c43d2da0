#!/usr/bin/env bash
# Figures of `wgd serve` for docs/performance.md ("wgd serve" section), measured against the
# real binary in a network namespace, as the acceptance tests run it (tests/serve/serve_lib.sh):
#   1. peer creations per second through the API: one client in sequence, then 8 clients at once
#   2. API reads per second with wrk (-t2 -c32 -d10s): GET /api/v1/peers/{id} and
#      GET /api/v1/peers?limit=100
#   3. start-up time with 10,000 stored peers: from process start to /healthz answering and to
#      the interface carrying all 10,000 peers
#   4. store size per peer (SQLite file, after 10,000 peers)
# Usage (root): bench/serve-bench.sh [BUILD_DIR]   (default: build)
# Environment: PEERS (default 10000), WRK_SECONDS (default 10), CREATE_SEQ (default 500),
# CREATE_CLIENTS x CREATE_PER (default 8 x 100).
# Prints the figures as Markdown on stdout; the server's log is kept on failure.
set -eEuo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$BENCH_DIR/../build}
export WGD=${WGD:-$(cd "$BUILD" && pwd)/src/cli/wgd}
TEST_NAME=serve-bench
source "$BENCH_DIR/../tests/serve/serve_lib.sh"
sv_init b
command -v wrk >/dev/null || fail "wrk is not installed (apt-get install wrk)"

PEERS=${PEERS:-10000}
WRK_SECONDS=${WRK_SECONDS:-10}
CREATE_SEQ=${CREATE_SEQ:-500}
CREATE_CLIENTS=${CREATE_CLIENTS:-8}
CREATE_PER=${CREATE_PER:-100}
# A /16 holds the 10,000 peers; reconciling every 10 s (the default) as in production.
SERVE_ENV=(WGD_IPV4_ADDRESS=10.77.0.1/16)
# SERVE_PRELOAD=lib.so runs the server with LD_PRELOAD (docs/performance.md uses it to measure
# the effect of TCP_NODELAY before the server sets it itself).
[[ -n ${SERVE_PRELOAD:-} ]] && SERVE_ENV+=(LD_PRELOAD="$SERVE_PRELOAD")
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
log "bench: $(nproc) CPUs ($CPU), wgd $WGD"

start_server
empty_db=$(stat -c %s "$DATA/wgd.db")

# --- 1. creations -------------------------------------------------------------------------------
check burst --api "$API" --token="$TOKEN" --clients 1 --per "$CREATE_SEQ" --prefix seq --out "$TMPD/seq" >"$TMPD/seq.out"
seq_rate=$(grep -o '([0-9]*/s)' "$TMPD/seq.out" | tr -dc 0-9)
log "sequential creates: $(cat "$TMPD/seq.out")"
check burst --api "$API" --token="$TOKEN" --clients "$CREATE_CLIENTS" --per "$CREATE_PER" --prefix con --out "$TMPD/con" >"$TMPD/con.out"
con_rate=$(grep -o '([0-9]*/s)' "$TMPD/con.out" | tr -dc 0-9)
log "concurrent creates: $(cat "$TMPD/con.out")"

# The rest of the peers, as fast as the API takes them.
have=$((CREATE_SEQ + CREATE_CLIENTS * CREATE_PER))
rest=$((PEERS - have))
if ((rest > 0)); then
  per=$(((rest + 7) / 8))
  check burst --api "$API" --token="$TOKEN" --clients 8 --per "$per" --prefix bulk --out "$TMPD/bulk" >"$TMPD/bulk.out"
  log "bulk: $(cat "$TMPD/bulk.out")"
fi
# Creation cost with the store full: 200 more in sequence (removed again, so the figures
# below see exactly $PEERS peers).
check burst --api "$API" --token="$TOKEN" --clients 1 --per 200 --prefix late --out "$TMPD/late" >"$TMPD/late.out"
late_rate=$(grep -o '([0-9]*/s)' "$TMPD/late.out" | tr -dc 0-9)
log "sequential creates with the store full: $(cat "$TMPD/late.out")"
for i in $(seq 0 199); do api DELETE "/api/v1/peers/late-0-$i" >/dev/null; done
total=$(api GET '/api/v1/peers?limit=1' | json 'd["total"]')
log "$total peers stored"

# --- 2. reads with wrk --------------------------------------------------------------------------
id=$(api GET '/api/v1/peers?limit=1&offset=5000' | json 'd["peers"][0]["id"]')
wrk_run() { # URL_PATH -> "requests/s|avg latency|p99"
  in_s wrk -t2 -c32 -d"${WRK_SECONDS}s" --latency -H "Authorization: Bearer $TOKEN" "$API$1" >"$TMPD/wrk.out" 2>&1
  grep -q "Non-2xx" "$TMPD/wrk.out" && fail "wrk $1: non-2xx answers: $(cat "$TMPD/wrk.out")"
  local rps avg p99
  rps=$(awk '/^Requests\/sec/ {print int($2)}' "$TMPD/wrk.out")
  avg=$(awk '/^    Latency/ {print $2; exit}' "$TMPD/wrk.out")
  p99=$(awk '/^ *99%/ {print $2}' "$TMPD/wrk.out")
  echo "$rps|$avg|$p99"
}
one=$(wrk_run "/api/v1/peers/$id")
log "wrk GET /api/v1/peers/$id: $one"
page=$(wrk_run "/api/v1/peers?limit=100")
log "wrk GET /api/v1/peers?limit=100: $page"
stop_server

# --- 3. start-up with all peers stored ----------------------------------------------------------
db_size=$(stat -c %s "$DATA/wgd.db")
wal_size=$(stat -c %s "$DATA/wgd.db-wal" 2>/dev/null || echo 0)
startup_runs=()
for run in 1 2 3; do
  t0=${EPOCHREALTIME/./}
  mapfile -t envs < <(base_env)
  ip netns exec "$NS_S" env "${envs[@]}" "${SERVE_ENV[@]}" "$WGD" serve >>"$TMPD/serve.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  until [[ $(in_s curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$API/healthz" 2>/dev/null) == 200 ]]; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "wgd serve died during start-up"
    sleep 0.005
  done
  t_health=${EPOCHREALTIME/./}
  until [[ $(in_s wg show "$IF_S" peers 2>/dev/null | wc -l) -ge $total ]]; do sleep 0.01; done
  t_peers=${EPOCHREALTIME/./}
  startup_runs+=("$(((t_health - t0) / 1000))|$(((t_peers - t0) / 1000))")
  log "start-up run $run: /healthz after $(((t_health - t0) / 1000)) ms, $total peers on the interface after $(((t_peers - t0) / 1000)) ms"
  stop_server
done
startup_self=$(grep -o 'ready in [0-9]* ms' "$TMPD/serve.log" | tail -n 1)

# --- report ---------------------------------------------------------------------------------------
per_peer=$(((db_size - empty_db) / total))
cat <<EOF

### Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs ($CPU), SQLite store, in-process interface${SERVE_PRELOAD:+, server run with LD_PRELOAD=$(basename "$SERVE_PRELOAD")}

| Figure | Value |
|---|---|
| Peer creations, 1 client in sequence ($CREATE_SEQ creates) | **$seq_rate /s** |
| Peer creations, $CREATE_CLIENTS clients at once ($((CREATE_CLIENTS * CREATE_PER)) creates) | **$con_rate /s** |
| Peer creations, 1 client in sequence, $total peers already stored (200 creates) | **$late_rate /s** |
| \`GET /api/v1/peers/{id}\`, wrk -t2 -c32 -d${WRK_SECONDS}s, $total peers stored | **${one%%|*} req/s** (latency avg $(cut -d'|' -f2 <<<"$one"), p99 $(cut -d'|' -f3 <<<"$one")) |
| \`GET /api/v1/peers?limit=100\`, same | **${page%%|*} req/s** (latency avg $(cut -d'|' -f2 <<<"$page"), p99 $(cut -d'|' -f3 <<<"$page")) |
| Start-up with $total stored peers: process start to \`/healthz\` 200 (3 runs) | **$(for r in "${startup_runs[@]}"; do printf '%s ms ' "${r%%|*}"; done)** |
| Start-up: process start to the interface carrying all $total peers | **$(for r in "${startup_runs[@]}"; do printf '%s ms ' "${r##*|}"; done)** (server's own log: "$startup_self") |
| Store size per peer | **$per_peer bytes** ($db_size bytes for $total peers, empty store $empty_db bytes; WAL $wal_size bytes after shutdown) |
EOF
