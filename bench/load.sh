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
pin_server() { if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then taskset -c 1 "$@"; else "$@"; fi; }
pin_client() { if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then taskset -c 0 "$@"; else "$@"; fi; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/hooklab" ./cmd/hooklab
go build -o "$work/baseline" ./bench/baseline

cat > "$work/post.lua" <<'LUA'
local body = io.open(os.getenv("BODY"), "rb"):read("*a")
local n = 0
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-Hub-Signature-256"] = os.getenv("SIG")
request = function()
  n = n + 1
  wrk.headers["X-GitHub-Delivery"] = "bench-" .. n
  return wrk.format()
end
LUA

# At 256 KiB, formatting the request anew for each delivery id is wrk's own
# limit (about 1,000 req/s here): those runs send 64 requests built once,
# their ids in turn.
cat > "$work/pre.lua" <<'LUA'
local body = io.open(os.getenv("BODY"), "rb"):read("*a")
local reqs, n = {}, 0
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-Hub-Signature-256"] = os.getenv("SIG")
init = function(args)
  for i = 1, 64 do
    wrk.headers["X-GitHub-Delivery"] = "bench-" .. i
    reqs[i] = wrk.format()
  end
end
request = function()
  n = n % 64 + 1
  return reqs[n]
end
LUA

pin_server "$work/baseline" -mode bare > "$work/bare.out" 2> "$work/bare.err" &
url=
for _ in $(seq 100); do
  url=$(head -1 "$work/bare.out" 2>/dev/null | grep -o 'http://[^" ]*' | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "bare handler did not start:" >&2; cat "$work/bare.err" >&2; exit 1; }

for size in 8192 262144; do
  "$work/baseline" -mode payload -size "$size" > "$work/body-$size"
  "$work/hooklab" sign --secret "$SECRET" --file "$work/body-$size" > "$work/signed-$size"
  head -1 "$work/signed-$size" | sed 's/^[^:]*: //' > "$work/sig-$size"
done

lua() { if [ "$1" = 262144 ]; then echo "$work/pre.lua"; else echo "$work/post.lua"; fi; }
wrk_rps() { # SIZE CONNS
  BODY="$work/body-$1" SIG="$(cat "$work/sig-$1")" pin_client wrk -t1 -c"$2" -d"$DURATION" -s "$(lua "$1")" "$url" |
    awk '/^Requests\/sec/ {print $2}'
}
hey_rps() { # SIZE CONNS
  [ "$have_hey" = 1 ] || { echo "-"; return; }
  pin_client hey -z "$DURATION" -c "$2" -m POST -T application/json -D "$work/body-$1" \
    -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: $(cat "$work/sig-$1")" "$url" |
    awk '/Requests\/sec/ {print $2}'
}
hooklab_rps() { # SIZE CONNS PROVIDER
  local secret=$SECRET event=(--event push)
  [ "$3" = standard ] && { secret=$STD_SECRET; event=(); }
  pin_client "$work/hooklab" send --provider "$3" --file "$work/body-$1" "${event[@]}" --secret "$secret" \
    --url "$url" --duration "$DURATION" --concurrency "$2" --json --env-file /dev/null |
    grep -o '"rps":[0-9.]*' | cut -d: -f2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

printf '%-9s %-7s %6s %10s %10s %10s %9s %9s\n' provider body conns wrk hey hooklab "hl/wrk" "hl/hey"
for run in "github 8192 32" "github 8192 128" "github 262144 32" "github 262144 128" "standard 8192 32"; do
  read -r prov size conns <<<"$run"
  w=$(wrk_rps "$size" "$conns"); h=$(hey_rps "$size" "$conns"); l=$(hooklab_rps "$size" "$conns" "$prov")
  label=$([ "$size" = 8192 ] && echo 8KiB || echo 256KiB)
  printf '%-9s %-7s %6s %10s %10s %10s %9s %9s\n' "$prov" "$label" "$conns" "$w" "$h" "$l" "$(ratio "$l" "$w")" "$(ratio "$l" "$h")"
done
echo "goals: hooklab >= 0.8x wrk and >= 1.5x hey with GitHub signatures, >= 0.7x wrk with Standard Webhooks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"

# The receiver's floors in the same run: hooklab listen against the bare,
# verify-only and straightforward handlers (bench/run.sh), once the bare
# handler above is gone.
kill %1 2>/dev/null || true
wait 2>/dev/null || true
echo
echo "receiver floors (bench/run.sh):"
DURATION=$DURATION bash bench/run.sh
