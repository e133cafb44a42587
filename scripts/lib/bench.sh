# Helpers for scripts/bench (sourced). Every process started here is recorded in STARTED_PIDS and
# stopped by its PID on exit.

STARTED_PIDS=()

log() { printf '\n== %s\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

now_ns() { date +%s%N; }

# Stops the processes this script started (by PID), gracefully first.
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.2
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
}

# stop_pid PID: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# free_port BASE: the first port from BASE on that nothing listens on (other engineers' servers
# may hold the obvious ones).
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
    p=$((p + 1))
  done
  echo "$p"
}

# wait_http URL [SECONDS] [PID]: until URL answers 200 (fails after SECONDS, or if PID exits, so
# an answer from someone else's server on the same port is never taken for ours).
wait_http() {
  local url=$1 limit=${2:-60} pid=${3:-} deadline
  deadline=$(( $(date +%s) + limit ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ]; then
      [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null
      return
    fi
    sleep 0.05
  done
  return 1
}

# Keeps the last lines of a server log (per-request log lines add up to hundreds of MB).
trim_log() { [ -f "$1" ] && tail -n 300 "$1" > "$1.tail" && mv "$1.tail" "$1" || true; }

# psql_db DB SQL…: runs SQL on DB as postgres, quietly, stopping at the first error.
psql_db() {
  local db=$1
  shift
  psql "$PG_BASE/$db" -X -q -v ON_ERROR_STOP=1 "$@"
}

recreate_pg_db() {
  psql_db postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

# probe METHOD URL TOKEN ACCEPT [BODY]: one request like the load's; fails unless 2xx.
probe() {
  local method=$1 url=$2 token=$3 accept=$4 body=${5:-} out code
  local args=(-s -o "$BENCH_DIR/probe.out" -w '%{http_code}' --max-time 30 -X "$method")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$accept" ] && args+=(-H "Accept: $accept")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  code=$(curl "${args[@]}" "$url" || true)
  case "$code" in
    2??) return 0 ;;
    *)
      out=$(head -c 400 "$BENCH_DIR/probe.out" 2>/dev/null || true)
      die "probe $method $url answered $code: $out"
      ;;
  esac
}

# same_json A B: whether two files hold the same JSON value (key order and spacing aside).
same_json() {
  python3 -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a != b)' "$1" "$2"
}

# First "prop_…" ID of a seed file.
first_id() { grep -o '"prop_[0-9A-Za-z]*"' "$1" | head -n1 | tr -d '"'; }
# A string field of a seed file.
seed_field() { grep -o "\"$2\": *\"[^\"]*\"" "$1" | head -n1 | sed -E 's/.*: *"([^"]*)"/\1/'; }

# CPU ticks (user + system) used so far by process PID, and by all PostgreSQL processes.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '$2 == "(postgres)" {t += $14 + $15} END {print t + 0}'; }

# wrk_cmd: sets WRK_CMD, the wrk command line (pinned to the client core, scripts/lib/bench.lua).
wrk_cmd() {
  WRK_CMD=(taskset -c "$CLIENT_CPU" wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" --timeout 10s -s "$ROOT/scripts/lib/bench.lua")
}

# wrk_warmup ID URL [KEY=VALUE…]: an unrecorded run of WARMUP seconds.
wrk_warmup() {
  local id=$1 url=$2 log
  shift 2
  mkdir -p "$RESULTS/wrk/$id"
  log="$RESULTS/wrk/$id/warmup.log"
  wrk_cmd
  env "$@" "${WRK_CMD[@]}" -d "${WARMUP}s" "$url" > "$log" 2>&1 || die "wrk failed: $(cat "$log")"
  rm -f "$log"
}

# wrk_run ID URL N [KEY=VALUE…]: measured run N into $RESULTS/wrk/ID/run-N.txt, with the CPU
# time the server ($SERVER_PID) and PostgreSQL used meanwhile in cpu-N.txt.
wrk_run() {
  local id=$1 url=$2 i=$3 f s0 s1 p0 p1
  shift 3
  mkdir -p "$RESULTS/wrk/$id"
  f="$RESULTS/wrk/$id/run-$i.txt"
  wrk_cmd
  s0=$(cpu_ticks "$SERVER_PID") p0=$(pg_ticks)
  env "$@" "${WRK_CMD[@]}" -d "${DURATION}s" --latency "$url" > "$f" 2>&1 || die "wrk failed: $(cat "$f")"
  s1=$(cpu_ticks "$SERVER_PID") p1=$(pg_ticks)
  # server_ticks postgres_ticks ticks_per_second load_average_1min
  echo "$((s1 - s0)) $((p1 - p0)) $(getconf CLK_TCK) $(cut -d' ' -f1 /proc/loadavg)" > "$RESULTS/wrk/$id/cpu-$i.txt"
  note "$id run-$i: $(awk '/Requests\/sec/{r=$2} $1=="50%"{p50=$2} $1=="99%"{p99=$2} /Non-2xx/{e=$NF} END{printf "%s req/s, p50 %s, p99 %s, non-2xx %s", r, p50, p99, (e==""?0:e)}' "$f")"
}

# run_wrk ID URL [KEY=VALUE…]: warm-up, then RUNS measured runs. KEY=VALUE pairs configure
# scripts/lib/bench.lua (BENCH_TOKEN, BENCH_IDS, BENCH_PREFIX, BENCH_POST, BENCH_ACCEPT).
run_wrk() {
  local id=$1 url=$2 i
  shift 2
  wrk_warmup "$id" "$url" "$@"
  for i in $(seq "$RUNS"); do
    wrk_run "$id" "$url" "$i" "$@"
  done
}
