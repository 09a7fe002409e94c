#!/usr/bin/env bash
# bench/load.sh: load generators against the bare net/http handler of
# bench/baseline, side by side, in one interleaved run on this machine.
#
#   bench/load.sh                  10 s per run
#   DURATION=5s bench/load.sh
#
# The bare handler (reads the body, answers 200) runs alone on CPU 1; each
# generator in turn on CPU 0 (taskset): wrk (one thread, a fixed GitHub
# signature and a fresh X-GitHub-Delivery per request), hey (when installed;
# a fixed signature) and hooklab's load mode (send --duration, every request
# with its own delivery id and its own valid signature). 8 KiB and 256 KiB
# GitHub pushes at 32 and 128 connections, and 8 KiB with --provider
# standard (Standard Webhooks signs the id and timestamp: one HMAC per
# request). Prints req/s and hooklab's ratios to wrk and hey.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
SECRET=bench-secret-0123456789abcdef0123456789
STD_SECRET=whsec_$(printf 'bench-secret-0123456789abcdef01' | base64)

command -v wrk >/dev/null || { echo "bench/load.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
have_hey=1; command -v hey >/dev/null || { have_hey=0; echo "hey is not installed: its column is skipped" >&2; }
source bench/lib.sh

start bare "$work/baseline" -mode bare

for size in 8192 262144; do
  "$work/baseline" -mode payload -size "$size" > "$work/body-$size"
  "$work/hooklab" sign --secret "$SECRET" --file "$work/body-$size" > "$work/signed-$size"
  head -1 "$work/signed-$size" | sed 's/^[^:]*: //' > "$work/sig-$size"
done

# Each sets its result (req/s, or "-") in w, h or l; they run no client in
# a $(...), where a signal to the script would wait for the client's end.
wrk_rps() { # SIZE CONNS
  BODY="$work/body-$1" SIG="$(cat "$work/sig-$1")"
  export BODY SIG
  client wrk wrk -t1 -c"$2" -d"$DURATION" -s "$(lua "$1")" "$url"
  w=$(awk '/^Requests\/sec/ {print $2}' "$work/client.out")
}
hey_rps() { # SIZE CONNS
  h=-
  [ "$have_hey" = 1 ] || return 0
  client hey hey -z "$DURATION" -c "$2" -m POST -T application/json -D "$work/body-$1" \
    -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: $(cat "$work/sig-$1")" "$url"
  h=$(awk '/Requests\/sec/ {print $2}' "$work/client.out")
}
hooklab_rps() { # SIZE CONNS PROVIDER
  local secret=$SECRET event=(--event push)
  [ "$3" = standard ] && { secret=$STD_SECRET; event=(); }
  client "hooklab send" "$work/hooklab" send --provider "$3" --file "$work/body-$1" "${event[@]}" --secret "$secret" \
    --url "$url" --duration "$DURATION" --concurrency "$2" --json --env-file /dev/null
  l=$(grep -o '"rps":[0-9.]*' "$work/client.out" | cut -d: -f2)
}

printf '%-9s %-7s %6s %10s %10s %10s %9s %9s\n' provider body conns wrk hey hooklab "hl/wrk" "hl/hey"
for run in "github 8192 32" "github 8192 128" "github 262144 32" "github 262144 128" "standard 8192 32"; do
  read -r prov size conns <<<"$run"
  wrk_rps "$size" "$conns"; hey_rps "$size" "$conns"; hooklab_rps "$size" "$conns" "$prov"
  label=$([ "$size" = 8192 ] && echo 8KiB || echo 256KiB)
  printf '%-9s %-7s %6s %10s %10s %10s %9s %9s\n' "$prov" "$label" "$conns" "$w" "$h" "$l" "$(ratio "$l" "$w")" "$(ratio "$l" "$h")"
done
echo "goals: hooklab >= 0.8x wrk and >= 1.5x hey with GitHub signatures, >= 0.7x wrk with Standard Webhooks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"

# The receiver's floors in the same run: hooklab listen against the bare,
# verify-only and straightforward handlers (bench/run.sh), once the bare
# handler above is gone.
stop
echo
echo "receiver floors (bench/run.sh):"
# As a job the script waits for, so that a TERM to this script is handled at
# once (run.sh stops its own servers when the TERM reaches it).
DURATION=$DURATION bash bench/run.sh &
wait $!
