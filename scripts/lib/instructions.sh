#!/usr/bin/env bash
# Marginal instructions per request of one request type: callgrind (scripts/lib/profile.sh) at two
# request counts, and the difference of their totals divided by the difference of their counts,
# so start-up, shutdown and one-off work (the cursor lookup of units-cursor) cancel out.
# Instruction counts are repeatable to about 1 % on a busy machine, unlike wall-clock rates.
#
#   scripts/lib/instructions.sh BACKEND KIND SERVER OUT
#     BACKEND sqlite | postgres; KIND as profile.sh takes it; SERVER lintel | floor;
#     OUT the file the figure (instructions per request) is written to.
#
# Run after scripts/bench (it uses its databases and seed files); scripts/bench runs it for every
# scenario. PROFILE_DEEP_PAGE is passed on; INSTR_SMALL and INSTR_LARGE (1000 and 4000) set the
# two request counts (a thirtieth of them for units-deep, two fifths for create).
set -euo pipefail
cd "$(dirname "$0")/../.."

backend=${1:?backend} kind=${2:?kind} server=${3:?server} out=${4:?output file}
small=${INSTR_SMALL:-1000} large=${INSTR_LARGE:-4000}
case "$kind" in
  # Each request skips up to 100k index entries: slow under valgrind, and large enough per
  # request that a few dozen give a steady figure.
  units-deep) small=$((small / 30)) large=$((large / 30)) ;;
  create) small=$((small * 2 / 5)) large=$((large * 2 / 5)) ;;
esac
report=.bench/profile/$server-$backend-$kind.txt

# `total count` of the last profile.
measure() {
  PROFILE_SERVER=$server PROFILE_REQUESTS=$1 scripts/lib/profile.sh "$backend" "$kind" > /dev/null
  local total count
  total=$(sed -n 2p "$report" | sed -E 's/^# total instructions: ([0-9]+).*/\1/')
  count=$(sed -n 1p "$report" | sed -E 's/.*, ([0-9]+) requests.*/\1/')
  echo "$total $count"
}

read -r t1 n1 < <(measure "$small")
# The first run overshoots by up to a second of requests: keep the second at least 3x as long.
[ "$large" -ge $((n1 * 3)) ] || large=$((n1 * 3))
read -r t2 n2 < <(measure "$large")
if [ "$n2" -lt $((n1 * 2)) ]; then
  echo "instructions: $server $backend $kind: $n1 and $n2 requests are too close (raise INSTR_SMALL and INSTR_LARGE)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
echo $(((t2 - t1) / (n2 - n1))) > "$out"
echo "   $server $backend $kind: $(cat "$out") instructions/request ($n1 and $n2 requests)" >&2
