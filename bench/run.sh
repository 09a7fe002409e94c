#!/usr/bin/env bash
# bench/run.sh: hooklab listen against a bare net/http handler and the
# straightforward receiver, side by side, in one run on this machine.
#
#   bench/run.sh                      10 s per run, 32 connections
#   DURATION=30s CONNS=64 bench/run.sh
#   SIZES=8192 bench/run.sh           8 KiB only
#
# The servers: bare (reads the body), verify (reads it and checks its HMAC,
# nothing else: the ceiling of any verifying receiver), straightforward
# (io.ReadAll, crypto/hmac, json.Valid) and hooklab listen.
# Each server runs alone on CPU 1 and wrk on CPU 0 (taskset), with 8 KiB and
# 256 KiB signed GitHub pushes and a fresh X-GitHub-Delivery per request.
# hooklab logs every delivery in JSON to a file, as a real run would. It
# prints requests/s, p50 and p99 latency, non-2xx answers and socket errors,
# and hooklab's ratios to the others. Loopback only. Every server it starts
# is stopped when it ends, however it ends (bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
SECRET=bench-secret-0123456789abcdef0123456789

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
source bench/lib.sh

# measure SIZE URL: one wrk run; prints "rps p50 p99 non2xx errors". A wrk
# that fails ends the script.
measure() {
  BODY="$work/body-$1" SIG="$(cat "$work/sig-$1")"
  export BODY SIG
  client wrk wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$(lua "$(size_bytes "$1")")" "$2"
  local out rps p50 p99 non2xx errs
  out=$(cat "$work/client.out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out"); errs=${errs:-0}
  echo "$rps $p50 $p99 $non2xx $errs" > "$work/row"
}
size_bytes() { if [ "$1" = 256KiB ]; then echo 262144; else echo 8192; fi; }

declare -A rps
printf '%-16s %-7s %12s %10s %10s %8s %7s\n' server body req/s p50 p99 non-2xx errors
for size in ${SIZES:-8192 262144}; do
  label=$([ "$size" = 8192 ] && echo 8KiB || echo 256KiB)
  "$work/baseline" -mode payload -size "$size" > "$work/body-$label"
  "$work/hooklab" sign --secret "$SECRET" --file "$work/body-$label" > "$work/signed-$label"
  head -1 "$work/signed-$label" | sed 's/^[^:]*: //' > "$work/sig-$label"
  for server in bare verify straightforward hooklab; do
    case $server in
      hooklab) start hooklab "$work/hooklab" listen --addr 127.0.0.1:0 --secret "$SECRET" --log-format json --env-file /dev/null
               # the banner is a JSON record; the log goes on to the file
               ;;
      *)       start "$server" "$work/baseline" -mode "$server" -secret "$SECRET" ;;
    esac
    measure "$label" "$url"
    read -r r p50 p99 non2xx errs < "$work/row"
    rps[$server-$label]=$r
    printf '%-16s %-7s %12s %10s %10s %8s %7s\n' "$server" "$label" "$r" "$p50" "$p99" "$non2xx" "$errs"
    stop
  done
done

echo
echo "verify / bare, 8KiB:             $(ratio "${rps[verify-8KiB]}" "${rps[bare-8KiB]}")   (the most a verifying receiver gets here)"
echo "hooklab / bare, 8KiB:            $(ratio "${rps[hooklab-8KiB]}" "${rps[bare-8KiB]}")"
echo "hooklab / verify, 8KiB:          $(ratio "${rps[hooklab-8KiB]}" "${rps[verify-8KiB]}")   (floor >= 0.50)"
echo "hooklab / straightforward, 8KiB:   $(ratio "${rps[hooklab-8KiB]}" "${rps[straightforward-8KiB]}")   (floor >= 1.50)"
echo "hooklab / straightforward, 256KiB: $(ratio "${rps[hooklab-256KiB]}" "${rps[straightforward-256KiB]}")   (floor >= 2.50)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
