#!/usr/bin/env bash
# Screenshots of the home page as docomo, au, iPhone and PC receive it, at their screen widths,
# with headless Chromium (Debian package `chromium`). Pages come from a real ashiato server on
# loopback; keitai pages are decoded with the carrier's emoji before the desktop browser shows
# them (see crates/ashiato_web/examples/screenshot_pages.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="docs/screenshots"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v chromium >/dev/null || { echo "needs chromium (apt-get install -y chromium)" >&2; exit 1; }
cargo run -q -p ashiato_web --example screenshot_pages -- "$work"
shot() { # name width height
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile-$1" --hide-scrollbars \
        --window-size="$2,$3" --screenshot="$PWD/$out/home-$1.png" "file://$work/$1.html" 2>/dev/null
}
# docomo FOMA and au WAP 2.0 browsers are 240 px wide; an iPhone 375 px; a PC window 1024 px.
shot docomo 240 480
shot au 240 480
shot iphone 375 720
shot pc 1024 640
ls -l "$out"/home-*.png
