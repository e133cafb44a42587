#!/usr/bin/env bash
# Profiles one request type of `lintel serve` (or the floor) with valgrind's callgrind, which
# counts instructions (repeatable whatever else the machine runs; perf's hardware counters are not
# available here). Run after scripts/bench (it uses its data and seed files):
#
#   scripts/lib/profile.sh sqlite property      # GET /api/properties/{id}, 1M database
#   scripts/lib/profile.sh postgres units-1m    # GET /api/units?page=1&pageSize=20
#   scripts/lib/profile.sh sqlite create        # POST /api/properties, 10k database
#   PROFILE_SERVER=floor scripts/lib/profile.sh sqlite property   # the floor: property, units-1m
#   PROFILE_DEEP_PAGE=1000 scripts/lib/profile.sh sqlite units-cursor   # that page, by its cursor
#
# Writes .bench/profile/<server>-<backend>-<kind>.{out,txt}: the raw callgrind file and the
# functions with the largest inclusive cost, per request.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source "$ROOT/scripts/lib/bench.sh"
trap cleanup EXIT

backend=${1:?backend: sqlite or postgres}
kind=${2:?kind: health, property, units-10k, units-1m, units-deep, units-cursor or create}
server=${PROFILE_SERVER:-lintel}
requests=${PROFILE_REQUESTS:-2000}
deep=${PROFILE_DEEP_PAGE:-5000}
BENCH_DIR=$ROOT/.bench
PG_BASE=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null
command -v callgrind_annotate >/dev/null || die "callgrind_annotate not found"

set_name=1m
case "$kind" in units-10k | create) set_name=10k ;; esac
seed=$BENCH_DIR/results/seed/$backend-$set_name.json
[ -f "$seed" ] || die "run scripts/bench first ($seed is missing)"
key=$(seed_field "$seed" apiKey)
case "$backend" in
  sqlite) url="sqlite://$BENCH_DIR/sqlite/$set_name.db" ;;
  postgres) url="$PG_BASE/lintel_bench_$set_name" ;;
esac
# A port picked at random above 28200 (PROFILE_PORT sets it): two profiles started at the same
# moment in two checkouts must not find the same free port and measure each other's requests.
port=$(free_port "${PROFILE_PORT:-$((28200 + RANDOM % 4000))}")
out=$BENCH_DIR/profile/$server-$backend-$kind
mkdir -p "$BENCH_DIR/profile" "$BENCH_DIR/run"

cg=(valgrind --tool=callgrind --callgrind-out-file="$out.out" --dump-instr=no --collect-atstart=yes)
if [ "$server" = floor ]; then
  FLOOR_TOKEN=$key "${cg[@]}" "$ROOT/target/release/lintel-bench" floor --db "$url" \
    --org "$(seed_field "$seed" orgId)" --bind "127.0.0.1:$port" > "$out.log" 2>&1 &
  ready=/api/health
else
  (
    cd "$BENCH_DIR/run"
    export LINTEL_BIND=127.0.0.1:$port LINTEL_DATABASE_URL=$url LINTEL_DATA_DIR=$BENCH_DIR/run/data
    for k in GENERAL LOGIN REGISTRATION TENANT BROKER ADMIN; do export "LINTEL_RATE_LIMITS__$k=100000000"; done
    exec "${cg[@]}" "$ROOT/target/release/lintel" serve
  ) > "$out.log" 2>&1 &
  ready=/api/ready
fi
SERVER_PID=$!
STARTED_PIDS+=("$SERVER_PID")
wait_http "http://127.0.0.1:$port$ready" 300 "$SERVER_PID" || die "the server did not start under valgrind; see $out.log"

lua_env=(BENCH_TOKEN="$key")
case "$kind" in
  health) lua_env=(BENCH_PREFIX=/api/health) ;;
  property) lua_env+=(BENCH_IDS="$seed" BENCH_PREFIX=/api/properties/) ;;
  units-10k | units-1m) lua_env+=("BENCH_PREFIX=/api/units?page=1&pageSize=20") ;;
  units-deep) lua_env+=("BENCH_PREFIX=/api/units?page=$deep&pageSize=20") ;;
  units-cursor)
    # The deep page by its cursor: the nextCursor of the page before it.
    cursor=$(curl -s --max-time 300 -H "Authorization: Bearer $key" \
      "http://127.0.0.1:$port/api/units?page=$((deep - 1))&pageSize=20" |
      grep -o '"nextCursor":"[^"]*"' | sed -E 's/.*:"([^"]*)"/\1/' || true)
    [ -n "$cursor" ] || die "page $((deep - 1)) of the units gave no nextCursor"
    lua_env+=("BENCH_PREFIX=/api/units?cursor=$cursor&pageSize=20")
    ;;
  create) lua_env+=(BENCH_PREFIX=/api/properties BENCH_POST=1) ;;
  *) die "unknown kind $kind" ;;
esac
# A fixed number of requests, give or take one second of them: wrk runs until the count is reached.
# A deep page takes seconds under callgrind, longer than wrk's one-second runs: wrk would cancel
# its requests in flight while their reads ran on to the end, uncounted, so those are sent one
# at a time, each waited for.
done_requests=0
if [ "$kind" = units-deep ]; then
  env "${lua_env[@]}" python3 - "http://127.0.0.1:$port" "$requests" <<'PY'
import os, sys, urllib.request
url = sys.argv[1] + os.environ["BENCH_PREFIX"]
for _ in range(int(sys.argv[2])):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]})
    urllib.request.urlopen(req, timeout=600).read()
PY
  done_requests=$requests
fi
while [ "$done_requests" -lt "$requests" ]; do
  n=$(env "${lua_env[@]}" wrk -t1 -c4 -d1s --timeout 30s -s "$ROOT/scripts/lib/bench.lua" "http://127.0.0.1:$port" |
    awk '/requests in/{print $1}')
  done_requests=$((done_requests + ${n:-0}))
done
stop_pid "$SERVER_PID"
total_ir=$( (callgrind_annotate "$out.out" 2>/dev/null || true) | awk '/PROGRAM TOTALS/{gsub(",","",$1); t=$1} END{print t}')
{
  echo "# callgrind: $server $backend $kind, $done_requests requests (plus start-up and shutdown)"
  echo "# total instructions: $total_ir ($(awk -v t="$total_ir" -v n="$done_requests" 'BEGIN{printf "%.0f", t/n}') per request)"
  (callgrind_annotate --inclusive=yes "$out.out" 2>/dev/null || true) | sed -n '/file:function/,$p' | awk 'NR <= 90'
} > "$out.txt"
echo "$out.txt"
