#!/usr/bin/env bash
# Times ashiato's thumbnail pipeline against ImageMagick `convert -thumbnail` and libvips
# `vipsthumbnail` on the same inputs, several runs each, with /usr/bin/time for wall time, CPU
# time and peak RSS; prints a markdown table (median of the runs; RSS is the maximum). Wall
# time includes process start; CPU time (10 ms resolution) counts all threads.
#
#   crates/ashiato_image/bench/compare.sh [RUNS]      (default 5 runs)
#
# Inputs are made with ImageMagick unless already present in $WORK (default
# $CARGO_TARGET_DIR/image-bench or target/image-bench):
#   cam.jpg  — 4000×3000 (12 MP) "camera" JPEG: fractal plasma + Gaussian noise, q92, 4:2:0
#   cam24.jpg — 6000×4000 (24 MP, the default pixel limit), made the same way (P9)
#   cam5.jpg — 2592×1944 (5 MP handset photo), made the same way (P9)
#   anim.gif — 480×360, 12 distinct plasma frames, ≈ 2 MB
#   bomb.png — 60000×60000 RGBA header with a few bytes of data (S-22)
# Needs: apt-get install -y imagemagick libvips-tools time
set -euo pipefail

RUNS=${1:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=${WORK:-$TARGET/image-bench}
CONVERT=/usr/bin/convert # /usr/local/bin/convert may be a stand-in on this machine
TIME=/usr/bin/time

for tool in "$CONVERT" "$TIME" "$(command -v vipsthumbnail || true)"; do
    if [[ -z "$tool" || ! -x "$tool" ]]; then
        echo "missing ${tool:-vipsthumbnail}: apt-get install -y imagemagick libvips-tools time" >&2
        exit 1
    fi
done
mkdir -p "$WORK/out"
cd "$WORK"

if [[ ! -f cam.jpg ]]; then
    "$CONVERT" -seed 42 -size 4000x3000 plasma:fractal -attenuate 0.4 +noise Gaussian \
        -sampling-factor 2x2 -quality 92 cam.jpg
fi
if [[ ! -f cam24.jpg ]]; then
    "$CONVERT" -seed 24 -size 6000x4000 plasma:fractal -attenuate 0.4 +noise Gaussian \
        -sampling-factor 2x2 -quality 92 cam24.jpg
fi
if [[ ! -f cam5.jpg ]]; then
    "$CONVERT" -seed 5 -size 2592x1944 plasma:fractal -attenuate 0.4 +noise Gaussian \
        -sampling-factor 2x2 -quality 92 cam5.jpg
fi
if [[ ! -f anim.gif ]]; then
    # One tall plasma cut into frames, so every frame differs (a repeated plasma: would not).
    "$CONVERT" -seed 7 -size 480x4320 plasma:fractal -crop 480x360 +repage \
        -set delay 10 -loop 0 anim.gif
fi
if [[ ! -f bomb.png ]]; then
    python3 - <<'EOF'
import struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0)
with open("bomb.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
EOF
fi

(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --quiet --release -p ashiato_image --example thumbnail)
ASHIATO=$TARGET/release/examples/thumbnail

# run NAME TOOL OUTPUT CMD... : RUNS timed runs; appends "case|tool|wall|cpu|rss|bytes|status".
results=()
run() {
    local name=$1 tool=$2 out=$3
    shift 3
    local walls=() cpus=() rss=0 status=ok
    for _ in $(seq "$RUNS"); do
        rm -f "$out"
        local t0=$EPOCHREALTIME
        if ! "$TIME" -f '%e %U %S %M' -o time.txt "$@" >/dev/null 2>err.txt; then
            status="$(grep -o 'status [0-9]*' time.txt || echo failed): $(head -c 80 err.txt | tr '\n|' '  ')"
        fi
        local t1=$EPOCHREALTIME
        read -r _ user sys kb < <(tail -n 1 time.txt)
        # Wall time from bash's microsecond clock (time's %e has 10 ms steps).
        walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')")
        cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')")
        ((kb > rss)) && rss=$kb
    done
    local mid=$((RUNS / 2))
    local wall cpu bytes
    wall=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$((mid + 1))p")
    cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$((mid + 1))p")
    bytes=$(stat -c %s "$out" 2>/dev/null || echo -)
    results+=("$name|$tool|$wall|$cpu|$((rss / 1024))|$bytes|$status")
}

for w in 240 480; do
    run "12 MP JPEG → ${w} px JPEG" ashiato "out/a$w.jpg" "$ASHIATO" --width "$w" cam.jpg "out/a$w.jpg"
    run "12 MP JPEG → ${w} px JPEG" "convert -thumbnail" "out/c$w.jpg" "$CONVERT" cam.jpg -thumbnail "${w}x" "out/c$w.jpg"
    run "12 MP JPEG → ${w} px JPEG" vipsthumbnail "out/v$w.jpg" vipsthumbnail cam.jpg -s "${w}x" -o "out/v$w.jpg"
done
run "2 MB animated GIF → 240 px GIF" ashiato out/a.gif "$ASHIATO" --width 240 anim.gif out/a.gif
run "2 MB animated GIF → 240 px GIF" "convert -thumbnail" out/c.gif "$CONVERT" anim.gif -coalesce -thumbnail 240x out/c.gif
run "2 MB animated GIF → 240 px GIF" "vipsthumbnail [n=-1]" out/v.gif vipsthumbnail 'anim.gif[n=-1]' -s 240x -o out/v.gif
run "12 MP JPEG → master (ingest)" ashiato out/master.jpg "$ASHIATO" --ingest cam.jpg out/master.jpg
# P9: the stored pipeline for one handset photo — three processes; CPU is their sum, RSS the
# largest of them.
run "5 MP JPEG → master + 240j + 480a (P9)" ashiato out/p9_480.jpg bash -c \
    "'$ASHIATO' --ingest cam5.jpg out/p9.jpg 2>/dev/null && '$ASHIATO' --variant 240j out/p9.jpg out/p9_240.jpg && '$ASHIATO' --variant 480a out/p9.jpg out/p9_480.jpg"
run "24 MP JPEG → master (ingest)" ashiato out/master24.jpg "$ASHIATO" --ingest cam24.jpg out/master24.jpg
run "60000×60000 PNG bomb (refused)" ashiato out/bomb.png "$ASHIATO" --width 240 bomb.png out/bomb.png

{
    echo "| case | tool | wall ms (median) | CPU ms (user+sys, median) | peak RSS MB | output bytes | status |"
    echo "|---|---|---:|---:|---:|---:|---|"
    for r in "${results[@]}"; do
        echo "| ${r//|/ | } |"
    done
    echo
    echo "Inputs: cam.jpg $(stat -c %s cam.jpg) bytes ($(identify -format '%wx%h' cam.jpg)), cam5.jpg $(stat -c %s cam5.jpg) bytes ($(identify -format '%wx%h' cam5.jpg)), cam24.jpg $(stat -c %s cam24.jpg) bytes ($(identify -format '%wx%h' cam24.jpg)), anim.gif $(stat -c %s anim.gif) bytes ($(identify anim.gif | wc -l) frames of $(identify -format '%wx%h' 'anim.gif[0]')); $RUNS runs each."
    echo "Tools: $("$CONVERT" -version | head -n 1 | cut -d' ' -f2-3), $(vipsthumbnail --vips-version)."
    echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores."
} | tee results.md
