#!/usr/bin/env bash
# crates/ashiato_server/bench/load.sh: the SNS pages under HTTP load, on SQLite and on PostgreSQL (issue 6).
#
# What it measures, per backend, with wrk on loopback:
#   diary     GET /diary/{id}  another member's public entry; every view queues a footstep
#   home      GET /home        friends' diary feed, counts, friend list (9 queries + session)
#   footsteps GET /footsteps   my visitors (waits for the footstep writer if I have visits queued)
#   profile   GET /m/{id}      another member's profile; every view queues a footstep (PC only)
#   inbox     GET /messages    my received messages, 10 per member from the seed (PC only)
#   mix       60% diary, 30% home, 10% footsteps from one set of browsers (goals P4/P5 speak
#             of a mix)
# the three pages each for a PC browser (UTF-8 HTML5, session cookie) and for a docomo FOMA
# handset (Shift_JIS i-XHTML, no cookies: session in ?ksid=), reporting requests/s, p50/p90/p99,
# socket errors, non-2xx responses, the server's own per-route timings and where the CPU went.
# Before each page's max run, actix-web's hello world (examples/hello_world.rs, built with the
# same release profile and served beside ashiato) gets the same wrk run, and the page's figure
# is also given as its share of hello world's requests/s: on a shared, noisy machine the ratio
# of two adjacent runs says more than either figure alone (issue 17 states its goals that way).
# Two runs per page:
#   max   closed loop, CONNECTIONS connections as fast as they go: the throughput ceiling;
#   half  the same connections paced (wrk delay()) to half the max rate: the latency at 50% of
#         max throughput, which is how goal P3 in performance.md is stated.
#
# Why this shape: P3-P6 ask for dynamic-page latency and throughput with real footstep writes
# on both backends. The server drops a repeat footstep of the same visitor on the same owner
# within five minutes, so the diary run logs in SESSIONS members and rotates them over public
# entries of distinct authors (every member may read a public entry): each request is a new
# (visitor, owner) pair and really reaches the database. Row counts in footsteps and
# footstep_totals before and after the diary runs show what was stored.
#
# Honest limits: wrk is closed-loop (no coordinated-omission correction, unlike wrk2/oha -q);
# wrk, the server and PostgreSQL share this machine's cores, so the per-run CPU line shows how
# the time was split. The dataset is ashiato's `seed` (MEMBERS members, DIARIES entries), far
# below the ">= 1M users" of performance.md's Method. Figures live in docs/benchmarks.md.
#
# Usage: crates/ashiato_server/bench/load.sh            (both backends)
#        BACKENDS=sqlite crates/ashiato_server/bench/load.sh
# Settings (environment): BACKENDS, MEMBERS, DIARIES, SESSIONS, DURATION, WARMUP, THREADS,
# CONNECTIONS, HALF_RUNS (0 skips the paced runs), HELLO (0 skips the hello world runs), RUNS (which of diary_pc home_pc footsteps_pc
# profile_pc inbox_pc diary_docomo home_docomo footsteps_docomo mix_pc, default all), POOL_SIZE, PGHOST/PGPORT/PGUSER, PG_DB,
# KEEP_WORK=1.
# Needs: cargo, curl, python3, wrk (installed with apt-get when missing), psql/createdb for
# PostgreSQL. Traffic goes to 127.0.0.1 only. Exits 1 if any request failed or was not 2xx.

set -euo pipefail

BACKENDS=${BACKENDS:-"sqlite postgres"}
MEMBERS=${MEMBERS:-3000}
DIARIES=${DIARIES:-30000}
SESSIONS=${SESSIONS:-50}        # logged-in members per group (PC, docomo, mix, profile)
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-12}
HALF_RUNS=${HALF_RUNS:-1}
HELLO=${HELLO:-1}
RUNS=${RUNS:-"diary_pc home_pc footsteps_pc profile_pc inbox_pc diary_docomo home_docomo footsteps_docomo mix_pc"}
POOL_SIZE=${POOL_SIZE:-}        # the server's database_pool_size; empty: its default (8)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PG_DB=${PG_DB:-ashiato_load}

PC_UA='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
DOCOMO_UA='DoCoMo/2.0 N905i(c100;TB;W24H16)'
PASSWORD=ashiato-load           # every seeded member's password (crates/ashiato_server/src/seed.rs)

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
LUA="$ROOT/crates/ashiato_server/bench/load.lua"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ashiato-load.XXXXXX")
SERVER_PID=""
HELLO_PID=""
PG_CREATED=""
FAILED=()

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'load.sh: %s\n' "$*" >&2; exit 1; }

stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

cleanup() {
    stop_server
    if [[ -n "$HELLO_PID" ]]; then kill "$HELLO_PID" 2>/dev/null || true; wait "$HELLO_PID" 2>/dev/null || true; fi
    if [[ -n "$PG_CREATED" ]]; then
        dropdb --if-exists "$PG_DB" || echo "load.sh: could not drop database $PG_DB" >&2
    fi
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Tools and binary

if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package, Apache-2.0)"
    if [[ $(id -u) == 0 ]]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
for tool in curl python3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
if [[ " $BACKENDS " == *" postgres "* ]]; then
    for tool in psql createdb dropdb; do command -v "$tool" >/dev/null || die "$tool is needed"; done
fi

say "building the release binary and actix-web's hello world (same profile)"
(cd "$ROOT" && cargo build --release -p ashiato_server --bin ashiato --example hello_world)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ashiato"
HELLO_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/hello_world"
[[ -x "$BIN" ]] || die "no binary at $BIN"
[[ -x "$HELLO_BIN" ]] || die "no binary at $HELLO_BIN"

# The server reads ASHIATO_* settings from the environment and refuses unknown ones; run it with
# exactly the flags below and nothing inherited.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ASHIATO_' || true)
if [[ -n "$POOL_SIZE" ]]; then export ASHIATO_DATABASE_POOL_SIZE=$POOL_SIZE; fi

CPU_MODEL=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "CPU: $CPU_MODEL, $(nproc) CPUs; wrk -t$THREADS -c$CONNECTIONS -d$DURATION;" \
    "load average now: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# ---------------------------------------------------------------------------------------------
# Helpers

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The value of a form field (`name="csrf" value="…"`) in the page on stdin.
form_field() {
    grep -ao "name=\"$1\" value=\"[^\"]*\"" | head -1 | sed 's/.*value="//; s/"$//'
}

# SQL against the backend's database; prints rows tab-separated.
sql() {
    case $BACKEND in
        sqlite) python3 - "$DATA_DIR/ashiato.sqlite3" "$1" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("\t".join(str(v) for v in row))
PY
        ;;
        postgres) psql -X -q -At -F $'\t' -d "$PG_DB" -c "$1" ;;
    esac
}

footstep_counts() {
    sql "SELECT (SELECT count(*) FROM footsteps), (SELECT coalesce(sum(total), 0) FROM footstep_totals)"
}

# Waits until the footstep writer has caught up: the counts stop moving for 1.5 s (it flushes
# every 0.5 s while anything is queued). Sets SETTLED to the counts and DRAIN_S to the time from
# the end of the run to the last change seen (±0.5 s), so the next run starts with an empty queue.
wait_footsteps_settled() {
    local start=$EPOCHREALTIME changed=$EPOCHREALTIME last="" now stable=0
    while ((stable < 3)); do
        if (( ${EPOCHREALTIME%.*} - ${start%.*} > 120 )); then
            echo "warning: footstep counts still moving 120 s after the run" >&2
            break
        fi
        sleep 0.5
        now=$(footstep_counts)
        if [[ $now == "$last" ]]; then
            stable=$((stable + 1))
        else
            stable=0; last=$now; changed=$EPOCHREALTIME
        fi
    done
    SETTLED=$now
    DRAIN_S=$(python3 -c "print(f'{max(0.0, $changed - $start - 0.5):.1f}')")
}

# Logs in like a browser: GET /login for the session cookie and the form's csrf field, POST the
# form, keep the new cookie from the 303. Prints the session token.
login_cookie() {
    local email=$1 jar page csrf before status
    jar=$(mktemp -p "$WORK")
    page=$(curl -sS -c "$jar" -b "$jar" -A "$PC_UA" "$BASE/login")
    csrf=$(form_field csrf <<<"$page")
    before=$(awk '$6 == "ashiato_session" { print $7 }' "$jar")
    status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -A "$PC_UA" \
        --data-urlencode "email=$email" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf=$csrf" "$BASE/login")
    local token
    token=$(awk '$6 == "ashiato_session" { print $7 }' "$jar")
    [[ "$status" == 303 && -n "$token" && "$token" != "$before" ]] ||
        die "login of $email failed (status $status)"
    echo "$token"
}

# Logs in like a docomo handset: the session travels in ?ksid= and a hidden field; the new token
# is in the Location of the 303.
login_ksid() {
    local email=$1 page ksid csrf out
    page=$(curl -sS -A "$DOCOMO_UA" "$BASE/login")
    ksid=$(form_field ksid <<<"$page")
    csrf=$(form_field csrf <<<"$page")
    out=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -A "$DOCOMO_UA" \
        --data-urlencode "email=$email" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf=$csrf" --data-urlencode "ksid=$ksid" \
        "$BASE/login?guid=ON&ksid=$ksid")
    [[ "$out" == "303 "*"ksid="* ]] || die "docomo login of $email failed ($out)"
    sed 's/.*[?&]ksid=\([^&]*\).*/\1/' <<<"$out"
}

# Lua list literal from arguments.
lua_list() { local s="" x; for x in "$@"; do s+="\"$x\","; done; echo "{ $s }"; }

# CPU ticks so far: machine busy, machine total (all CPUs; /proc/stat), the ashiato server,
# PostgreSQL (the backends connected to our database and the server's own auxiliary processes,
# not other people's sessions). Differences over a run split the machine between the parties.
cpu_snapshot() {
    python3 - "$SERVER_PID" "$PG_DB" <<'PY'
import os, sys
server, db = sys.argv[1:]
f = open("/proc/stat").readline().split()[1:9]
user, nice, system, idle, iowait, irq, softirq, steal = map(int, f)
busy = user + nice + system + irq + softirq
def ticks(pid):
    try:
        rest = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError):
        return 0
AUX = ("checkpointer", "background writer", "walwriter", "autovacuum", "logical replication",
       "stats collector", "archiver")
def ours(pid):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        return False
    return cmd.startswith("postgres: ") and (f" {db} " in cmd or any(a in cmd for a in AUX))
pg = sum(ticks(p) for p in os.listdir("/proc") if p.isdigit() and ours(p))
print(busy, busy + idle + iowait + steal, ticks(server), pg)
PY
}

# run_wrk NAME GROUP DELAY_MS DURATION PATH... : one wrk run with the sessions of GROUP (pc,
# docomo, mix or profile). Sets RUN_LINE to wrk's RESULT line plus CPU shares and the server's own
# per-route timings for the run (from its request log). OFFSET_<name> carries on between runs of
# the same page, so the (visitor, path) sequence continues and no pair repeats within five
# minutes.
run_wrk() {
    local name=$1 group=$2 delay=$3 duration=$4; shift 4
    local -n tokens="TOKENS_$group"
    local conf="$WORK/$name.lua" mode=cookie ua=$PC_UA offset_var="OFFSET_$name"
    if [[ $group == docomo ]]; then mode=ksid; ua=$DOCOMO_UA; fi
    if [[ $group == hello ]]; then mode=none; fi
    cat >"$conf" <<EOF
return {
  mode = "$mode", threads = $THREADS, offset = ${!offset_var:-0}, delay_ms = $delay,
  tokens = $(lua_list "${tokens[@]}"),
  paths = $(lua_list "$@"),
  headers = { Host = "127.0.0.1:$PORT", ["User-Agent"] = "$ua",
              Accept = "text/html,application/xhtml+xml", ["Accept-Language"] = "ja" },
}
EOF
    local log_from; log_from=$(wc -l <"$DATA_DIR/serve.log")
    local before_cpu after_cpu wrk_cpu
    before_cpu=$(cpu_snapshot)
    local TIMEFORMAT='%U %S'
    wrk_cpu=$( { time LOAD_CONF="$conf" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" \
        --timeout 5s -s "$LUA" "$BASE" >"$WORK/wrk.out" 2>"$WORK/wrk.err"; } 2>&1 )
    after_cpu=$(cpu_snapshot)
    local line
    line=$(grep '^RESULT ' "$WORK/wrk.out") || { cat "$WORK/wrk.out" "$WORK/wrk.err" >&2; die "wrk failed"; }
    printf -v "$offset_var" '%d' "$(sed 's/.* next=\([0-9]*\).*/\1/' <<<"$line")"
    # CPU in cores (of nproc): the whole machine, the server, wrk (user+sys of the child),
    # PostgreSQL, and everything else (other users of the machine, kernel). Server-side
    # latency: the access log's duration_ms per route (handler time, without the kernel's and
    # the HTTP worker's queueing that wrk also sees).
    RUN_LINE=$(python3 - "$line" "$before_cpu" "$after_cpu" "$wrk_cpu" "$(getconf CLK_TCK)" \
        "$(nproc)" "$DATA_DIR/serve.log" "$log_from" <<'PY'
import re, sys
line, before, after, wrk_cpu, clk, ncpu, log, log_from = sys.argv[1:]
f = dict(kv.split("=") for kv in line.split()[1:])
secs = float(f["seconds"])
(b0, t0, s0, p0), (b1, t1, s1, p1) = ([int(x) for x in v.split()] for v in (before, after))
busy = (b1 - b0) / max(1, t1 - t0) * int(ncpu)
server = (s1 - s0) / int(clk) / secs
pg = (p1 - p0) / int(clk) / secs
user, system = (float(x) for x in wrk_cpu.split()[-2:])
wrk = (user + system) / secs
other = max(0.0, busy - server - pg - wrk)
routes = {}
with open(log, errors="replace") as lines:
    for i, l in enumerate(lines):
        m = i >= int(log_from) and re.search(r"http\.route=(\S+) .*duration_ms=([0-9.]+)", l)
        if m:
            routes.setdefault(m.group(1), []).append(float(m.group(2)))
def pct(v, q):
    return v[min(len(v) - 1, int(len(v) * q))]
srv = ";".join(f"{r}:{pct(sorted(v), .5):.2f}/{pct(sorted(v), .99):.2f}"
               for r, v in sorted(routes.items()))
print(line, f"cpu_busy={busy:.2f} cpu_server={server:.2f} cpu_pg={pg:.2f} cpu_wrk={wrk:.2f}"
      f" cpu_other={other:.2f} server={srv or '-'}")
PY
    )
}

# ---------------------------------------------------------------------------------------------
# The yardstick: actix-web's hello world, idle between its runs.

HELLO_PORT=$(free_port)
"$HELLO_BIN" "127.0.0.1:$HELLO_PORT" >/dev/null 2>&1 &
HELLO_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$HELLO_PORT/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$HELLO_PORT/" || die "hello world did not come up"
TOKENS_hello=(-)

# hello_run: hello world under the same wrk run as the next page; sets HELLO_RPS.
hello_run() {
    local saved_base=$BASE saved_port=$PORT
    local SERVER_PID=$HELLO_PID     # the CPU line's "server" is hello world for this run
    BASE="http://127.0.0.1:$HELLO_PORT"; PORT=$HELLO_PORT
    run_wrk hello hello 0 "$DURATION" /
    BASE=$saved_base; PORT=$saved_port
    HELLO_RPS=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$RUN_LINE")
    echo "$RUN_LINE" >&2
    echo "$BACKEND hello - max $RUN_LINE" >>"$RESULTS"
}

# ---------------------------------------------------------------------------------------------
# One backend

RESULTS="$WORK/results.txt"
: >"$RESULTS"

bench_backend() {
    BACKEND=$1
    DATA_DIR="$WORK/$BACKEND"
    mkdir -p "$DATA_DIR"
    local db_args=()
    if [[ $BACKEND == postgres ]]; then
        dropdb --if-exists "$PG_DB"
        createdb "$PG_DB"
        PG_CREATED=1
        db_args=(--database "postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB")
    fi
    say "$BACKEND: seeding $MEMBERS members, $DIARIES diary entries"
    "$BIN" --data-dir "$DATA_DIR" "${db_args[@]}" seed --members "$MEMBERS" --diaries "$DIARIES" >&2
    # `seed` ends with ANALYZE (SQLite) or VACUUM (ANALYZE) (PostgreSQL): this machine's
    # PostgreSQL has autovacuum off, and without statistics the planner turns the home feed into
    # a 130 ms nested loop; without the visibility map the relation check's friend lists visit
    # the heap. A production server's autovacuum does the same within a minute.

    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    say "$BACKEND: serving on $BASE (log: $DATA_DIR/serve.log)"
    "$BIN" --data-dir "$DATA_DIR" "${db_args[@]}" serve --bind "127.0.0.1:$PORT" \
        >"$DATA_DIR/serve.log" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 100); do
        curl -sf -o /dev/null "$BASE/healthz" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/serve.log" >&2; die "server exited"; }
        sleep 0.2
    done
    curl -sf -o /dev/null "$BASE/healthz" || die "server did not come up"

    # Four groups of visitors, so that no (visitor, owner) pair repeats across groups: browsers
    # load0.., docomo handsets the next SESSIONS members, the mixed run the next SESSIONS, the
    # profile run the next SESSIONS.
    say "$BACKEND: logging in 4 x $SESSIONS members (browser, docomo, mixed run, profiles)"
    TOKENS_pc=(); TOKENS_docomo=(); TOKENS_mix=(); TOKENS_profile=()
    local emails=()
    for ((i = 0; i < SESSIONS; i++)); do
        TOKENS_pc+=("$(login_cookie "load$i@example.jp")")
        TOKENS_docomo+=("$(login_ksid "load$((SESSIONS + i))@example.jp")")
        TOKENS_mix+=("$(login_cookie "load$((2 * SESSIONS + i))@example.jp")")
        TOKENS_profile+=("$(login_cookie "load$((3 * SESSIONS + i))@example.jp")")
        emails+=("'load$i@example.jp'" "'load$((SESSIONS + i))@example.jp'"
                 "'load$((2 * SESSIONS + i))@example.jp'" "'load$((3 * SESSIONS + i))@example.jp'")
    done

    # Diary targets: one public entry per author, visitors' own entries left out (no footstep
    # for a self-visit). Every member may read a public entry.
    local email_list; email_list=$(IFS=,; echo "${emails[*]}")
    mapfile -t DIARY_PATHS < <(sql "SELECT '/diary/' || min(e.id) FROM diary_entries e
        WHERE e.scope = 'public' AND e.author_id NOT IN
            (SELECT id FROM members WHERE email IN ($email_list))
        GROUP BY e.author_id ORDER BY e.author_id")
    # Profile targets: the same authors' profiles (the profile group never saw them).
    mapfile -t PROFILE_PATHS < <(sql "SELECT DISTINCT '/m/' || e.author_id FROM diary_entries e
        WHERE e.scope = 'public' AND e.author_id NOT IN
            (SELECT id FROM members WHERE email IN ($email_list))
        ORDER BY 1")
    echo "diary targets: ${#DIARY_PATHS[@]} public entries of distinct authors;" \
        "$((SESSIONS * ${#DIARY_PATHS[@]})) distinct (visitor, owner) pairs per group" >&2

    # The mixed run: 60% diary views (each a footstep), 30% home, 10% footsteps pages.
    MIX_PATHS=()
    for ((i = 0; i < ${#DIARY_PATHS[@]}; i++)); do
        MIX_PATHS+=("${DIARY_PATHS[i]}")
        if ((i % 2 == 1)); then MIX_PATHS+=(/home); fi
        if ((i % 6 == 5)); then MIX_PATHS+=(/footsteps); fi
    done

    # Every session and page must answer 200 before load starts (a 303 means not logged in).
    local code
    for page in "${DIARY_PATHS[0]}" "${PROFILE_PATHS[0]}" /home /footsteps /messages; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -A "$PC_UA" \
            -b "ashiato_session=${TOKENS_pc[0]}" "$BASE$page")
        [[ $code == 200 ]] || die "$BACKEND: PC GET $page answered $code"
        code=$(curl -s -o /dev/null -w '%{http_code}' -A "$DOCOMO_UA" \
            "$BASE$page?guid=ON&ksid=${TOKENS_docomo[0]}")
        [[ $code == 200 ]] || die "$BACKEND: docomo GET $page answered $code"
    done

    unset OFFSET_diary_pc OFFSET_diary_docomo OFFSET_mix_pc
    local page handset name paths run delay before writes
    for name in $RUNS; do
        page=${name%_*}; handset=${name#*_}
        case $page in
            diary) paths=("${DIARY_PATHS[@]}"); writes=1 ;;
            mix) paths=("${MIX_PATHS[@]}"); writes=1 ;;
            profile) paths=("${PROFILE_PATHS[@]}"); writes=1 ;;
            inbox) paths=(/messages); writes=0 ;;
            *) paths=("/$page"); writes=0 ;;
        esac
        local group=$handset
        if [[ $page == mix || $page == profile ]]; then group=$page; fi
        say "$BACKEND $name: warm-up $WARMUP"
        run_wrk "$name" "$group" 0 "$WARMUP" "${paths[@]}"
        if ((writes)); then wait_footsteps_settled; fi
        for run in max half; do
            if [[ $run == max ]]; then
                delay=0
                HELLO_RPS=""
                if [[ $HELLO == 1 ]]; then
                    say "$BACKEND hello world (before $name): max, $DURATION"
                    hello_run
                fi
                say "$BACKEND $name: max, $DURATION"
            else
                [[ $HALF_RUNS == 1 ]] || continue
                delay=$(python3 -c "print(max(1, round($CONNECTIONS * 1000 / ($MAX_RPS / 2))))")
                say "$BACKEND $name: paced to ~half of $MAX_RPS req/s" \
                    "($delay ms between requests per connection)"
            fi
            before=$(footstep_counts)
            run_wrk "$name" "$group" "$delay" "$DURATION" "${paths[@]}"
            if [[ $run == max ]]; then
                MAX_RPS=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$RUN_LINE")
                if [[ -n $HELLO_RPS ]]; then
                    RUN_LINE+=" hello_rps=$HELLO_RPS share=$(python3 -c "print(f'{100 * $MAX_RPS / $HELLO_RPS:.1f}')")"
                fi
            fi
            if ((writes)); then
                wait_footsteps_settled
                RUN_LINE+=" footsteps_before=${before//$'\t'/,} footsteps_after=${SETTLED//$'\t'/,}"
                RUN_LINE+=" drain_s=$DRAIN_S"
            fi
            echo "$RUN_LINE" >&2
            echo "$BACKEND $page $handset $run $RUN_LINE" >>"$RESULTS"
        done
        local used_var="OFFSET_$name"
        if ((writes && ${!used_var} > SESSIONS * ${#paths[@]})); then
            echo "warning: $name went round its (visitor, path) pairs; repeats within five" \
                "minutes wrote no footstep (raise SESSIONS)" >&2
        fi
    done

    local lost
    lost=$(grep -c 'footsteps not recorded' "$DATA_DIR/serve.log" || true)
    echo "$BACKEND server log: $lost 'footsteps not recorded' warnings" >&2
    [[ $lost == 0 ]] || FAILED+=("$BACKEND: footstep batches lost (see serve.log)")
    local dropped
    dropped=$(grep -c 'footstep queue full' "$DATA_DIR/serve.log" || true)
    echo "$BACKEND server log: $dropped 'footstep queue full' warnings" >&2
    [[ $dropped == 0 ]] || FAILED+=("$BACKEND: footstep queue overflowed, footsteps dropped (see serve.log)")
    stop_server
    if [[ $BACKEND == postgres ]]; then dropdb "$PG_DB"; PG_CREATED=""; fi
}

for b in $BACKENDS; do
    case $b in sqlite | postgres) bench_backend "$b" ;; *) die "unknown backend $b" ;; esac
done

# ---------------------------------------------------------------------------------------------
# Report: one markdown table (latencies in ms; CPU in cores of the nproc shared by all).

echo
echo "CPU: $CPU_MODEL, $(nproc) CPUs (wrk, server and PostgreSQL share them)." \
    "$MEMBERS members, $DIARIES diary entries; wrk -t$THREADS -c$CONNECTIONS, $DURATION per run;" \
    "latencies in ms; mix = 60% diary, 30% home, 10% footsteps;" \
    "share = the page's req/s as a % of actix-web's hello world in the run just before it."
python3 - "$RESULTS" <<'PY'
import sys
print()
print("| backend | page | handset | run | req/s | share of hello world | p50 | p90 | p99 | max | errors | non-2xx "
      "| server p50/p99 per route | CPU: busy = server + pg + wrk + other "
      "| footsteps rows, total (before → after) | writer caught up after |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for raw in open(sys.argv[1]):
    backend, page, handset, run, _, *kv = raw.split()
    f = dict(x.split("=", 1) for x in kv)
    steps = (f"{f['footsteps_before']} → {f['footsteps_after']}"
             if "footsteps_before" in f else "")
    share = f"{f['share']}% of {float(f['hello_rps']):.0f}" if "share" in f else ""
    print(f"| {backend} | {page} | {handset} | {run} | {float(f['rps']):.0f} | {share} | {f['p50']} "
          f"| {f['p90']} | {f['p99']} | {f['max']} | {f['errors']} | {f['non_2xx']} "
          f"| {f['server'].replace(';', ' ')} | {f['cpu_busy']} = {f['cpu_server']} + {f['cpu_pg']} + {f['cpu_wrk']} "
          f"+ {f['cpu_other']} | {steps} | {f['drain_s'] + ' s' if 'drain_s' in f else ''} |")
PY

while read -r backend page handset run _ rest; do
    errors=$(sed 's/.* errors=\([0-9]*\).*/\1/' <<<"$rest")
    non2xx=$(sed 's/.* non_2xx=\([0-9]*\).*/\1/' <<<"$rest")
    if [[ $errors != 0 || $non2xx != 0 ]]; then
        FAILED+=("$backend $page $handset $run: $errors errors, $non2xx non-2xx")
    fi
done <"$RESULTS"
if ((${#FAILED[@]})); then
    printf 'FAILED: %s\n' "${FAILED[@]}" >&2
    exit 1
fi
