#!/usr/bin/env bash
# Post-by-mail benchmark: mail-to-visible latency and ingest throughput (pipe and LMTP) on
# SQLite and, when a server answers on 127.0.0.1:5432, PostgreSQL. Loopback only; every
# database and directory it creates is removed again. Results: docs/benchmarks.md.
#
#   crates/ashiato_server/bench/mail.sh [N]        # N messages per throughput run (default 200)
set -euo pipefail
cd "$(dirname "$0")/../../.."
N="${1:-200}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -p ashiato_server
BIN="$TARGET/release/ashiato"
lscpu | grep -E '^(Model name|CPU\(s\))' || true
python3 crates/ashiato_server/bench/mail.py --bin "$BIN" --database sqlite -n "$N"
if pg_isready -q -h 127.0.0.1 -p 5432; then
    DB="ashiato_bench_mail_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB"
    trap 'psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
    python3 crates/ashiato_server/bench/mail.py --bin "$BIN" --database "postgres://postgres@127.0.0.1:5432/$DB" -n "$N"
else
    echo "PostgreSQL not running on 127.0.0.1:5432: skipped"
fi
