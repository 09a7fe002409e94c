#!/usr/bin/env bash
# bench/run.sh: hooklab listen against a bare net/http handler and the
# straightforward receiver, side by side, in one run on this machine.
#
#   bench/run.sh                      10 s per run, 32 connections
#   DURATION=30s CONNS=64 bench/run.sh
#
# The servers: bare (reads the body), verify (reads it and checks its HMAC,
# nothing else: the ceiling of any verifying receiver), straightforward
# (io.ReadAll, crypto/hmac, json.Valid) and hooklab listen.
# Each server runs alone on CPU 1 and wrk on CPU 0 (taskset), with 8 KiB and
# 256 KiB signed GitHub pushes and a fresh X-GitHub-Delivery per request.
# hooklab logs every delivery in JSON to a file, as a real run would. It
# prints requests/s, p50 and p99 latency, non-2xx answers and socket errors,
# and hooklab's ratios to the others. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
SECRET=bench-secret-0123456789abcdef0123456789

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
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

# start NAME CMD...: runs a server, waits for its URL on the first line.
start() {
  local name=$1; shift
  pin_server "$@" > "$work/$name.out" 2> "$work/$name.err" &
  for _ in $(seq 100); do
    url=$(head -1 "$work/$name.out" 2>/dev/null | grep -o 'http://[^" ]*' | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.05
  done
  echo "$name did not start:" >&2; cat "$work/$name.err" >&2; exit 1
}

# lua SIZE: the wrk script for that body size.
lua() { if [ "$1" = 256KiB ]; then echo "$work/pre.lua"; else echo "$work/post.lua"; fi; }

# measure NAME SIZE URL: one wrk run; prints "rps p50 p99 non2xx errors".
measure() {
  local out
  out=$(BODY="$work/body-$2" SIG="$(cat "$work/sig-$2")" pin_client wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$(lua "$2")" "$3")
  local rps p50 p99 non2xx errs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out"); errs=${errs:-0}
  echo "$rps $p50 $p99 $non2xx $errs"
}

declare -A rps
printf '%-16s %-7s %12s %10s %10s %8s %7s\n' server body req/s p50 p99 non-2xx errors
for size in 8192 262144; do
  label=$([ "$size" = 8192 ] && echo 8KiB || echo 256KiB)
  "$work/baseline" -mode payload -size "$size" > "$work/body-$label"
  "$work/hooklab" sign --secret "$SECRET" --file "$work/body-$label" | head -1 | sed 's/^[^:]*: //' > "$work/sig-$label"
  for server in bare verify straightforward hooklab; do
    case $server in
      hooklab) start hooklab "$work/hooklab" listen --addr 127.0.0.1:0 --secret "$SECRET" --log-format json --env-file /dev/null
               # the banner is a JSON record; the log goes on to the file
               ;;
      *)       start "$server" "$work/baseline" -mode "$server" -secret "$SECRET" ;;
    esac
    read -r r p50 p99 non2xx errs < <(measure "$server" "$label" "$url")
    rps[$server-$label]=$r
    printf '%-16s %-7s %12s %10s %10s %8s %7s\n' "$server" "$label" "$r" "$p50" "$p99" "$non2xx" "$errs"
    kill %1 2>/dev/null || true; wait 2>/dev/null || true
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "verify / bare, 8KiB:             $(ratio "${rps[verify-8KiB]}" "${rps[bare-8KiB]}")   (the most a verifying receiver gets here)"
echo "hooklab / bare, 8KiB:            $(ratio "${rps[hooklab-8KiB]}" "${rps[bare-8KiB]}")"
echo "hooklab / verify, 8KiB:          $(ratio "${rps[hooklab-8KiB]}" "${rps[verify-8KiB]}")   (floor >= 0.50)"
echo "hooklab / straightforward, 8KiB:   $(ratio "${rps[hooklab-8KiB]}" "${rps[straightforward-8KiB]}")   (floor >= 1.50)"
echo "hooklab / straightforward, 256KiB: $(ratio "${rps[hooklab-256KiB]}" "${rps[straightforward-256KiB]}")   (floor >= 2.50)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
