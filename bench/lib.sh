# bench/lib.sh: what bench/run.sh and bench/load.sh share; sourced, not run.
# It makes the work directory ($work), builds hooklab and the baseline
# servers into it, writes the wrk scripts, and stops every process the
# script started when it ends: on success, on failure and on Ctrl-C.

# pin_server CMD...: runs CMD on CPU 1, in place of the calling (background)
# shell, so that $! is the server itself and can be stopped.
pin_server() {
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then exec taskset -c 1 "$@"; else exec "$@"; fi
}
# pin_client CMD...: runs CMD on CPU 0.
pin_client() {
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then taskset -c 0 "$@"; else "$@"; fi
}

# client NAME CMD...: runs CMD on CPU 0 as a job the script waits for, its
# output in $work/client.out; a CMD that fails ends the script with what
# it printed. Bash runs a trap only between foreground commands, so a wrk
# run in the foreground would hold off a TERM for its whole duration; wait
# returns at once.
client() {
  local name=$1; shift
  pin_client "$@" > "$work/client.out" 2>&1 &
  if ! wait $!; then
    echo "$name failed:" >&2; cat "$work/client.out" >&2; exit 1
  fi
}

# children PID: the processes whose parent is PID.
children() {
  if command -v pgrep >/dev/null; then pgrep -P "$1" || true; return; fi
  local f fields ppid
  for f in /proc/[0-9]*/stat; do
    fields=$(cat "$f" 2>/dev/null) || continue
    fields=${fields##*) } # after "pid (comm) ": state ppid ...
    read -r _ ppid _ <<<"$fields"
    if [ "$ppid" = "$1" ]; then f=${f#/proc/}; echo "${f%/stat}"; fi
  done
}

# stop_tree PID: stops every descendant of PID, deepest first, with TERM and,
# after two seconds, KILL.
stop_tree() {
  local pids=() c
  collect() { local c; for c in $(children "$1"); do collect "$c"; pids+=("$c"); done; }
  collect "$1"
  [ "${#pids[@]}" -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 40); do
    kill -0 "${pids[@]}" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

bench_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_tree $$
  wait 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
# Ctrl-C and TERM end the script through its EXIT trap. Background commands
# of a script ignore SIGINT, so without this a Ctrl-C left the servers
# running.
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d)
go build -o "$work/hooklab" ./cmd/hooklab
go build -o "$work/baseline" ./bench/baseline

# start NAME CMD...: runs a server on CPU 1 and waits for its URL on the
# first line of its output; sets url and server_pid.
start() {
  local name=$1; shift
  pin_server "$@" > "$work/$name.out" 2> "$work/$name.err" &
  server_pid=$!
  for _ in $(seq 100); do
    url=$(head -1 "$work/$name.out" 2>/dev/null | grep -o 'http://[^" ]*' | head -1 || true)
    [ -n "$url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$name did not start:" >&2; cat "$work/$name.err" >&2; exit 1
}

# stop: stops the server start started, and waits for it.
stop() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

# ratio A B: A/B to two decimals, or "-" when B is missing or zero.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == "-" || b == 0 || a == "" || a == "-") print "-"; else printf "%.2f", a / b }'; }

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

# lua BYTES: the wrk script for that body size.
lua() { if [ "$1" -ge 262144 ]; then echo "$work/pre.lua"; else echo "$work/post.lua"; fi; }
