#!/usr/bin/env python3
"""Generate ashiato_charset's emoji tables (Python 3 standard library only).

Writes two Rust source files next to this script, loaded with include! at compile time:

  emoji_table.rs   832 emoji entries: Unicode <-> docomo / KDDI / SoftBank / Google codes,
                   exact (round-trip) or best-fit, names and text fallbacks.
                   Sources: EmojiSources.txt (Unicode data licence) and emoji4unicode.xml
                   (Apache-2.0).
  au_localsrc.rs   au icon numbers for <img localsrc="N"> keyed by au Shift_JIS code.
                   Source: kddi-table.yaml from Encode-JP-Mobile (Artistic 1.0 / GPL 1+).

Inputs (defaults in brackets):
  --emoji-sources  EmojiSources.txt   [/usr/share/unicode/EmojiSources.txt,
                                       Debian/Ubuntu package `unicode-data`]
  --e4u-xml        emoji4unicode.xml  [inside the PyPI package `e4u`:
                                       pip install --no-deps e4u (its BeautifulSoup
                                       dependency is Python 2 only); path: %(e4u)s]
  --kddi-yaml      kddi-table.yaml    [<repo>/../shared/data/emoji/kddi-table.yaml, an
                                       unmodified copy of Encode-JP-Mobile dat/kddi-table.yaml]

--check regenerates in memory and exits 1 if the committed files differ.

The carrier code arithmetic (docomo and KDDI Shift_JIS <-> private-use code points, SoftBank
webcode pages) is not read from any table: it is written out below and in src/emoji.rs from the
carriers' published ranges, and this script verifies it against all 722 EmojiSources rows.
"""

import argparse
import importlib.util
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def e4u_default():
    try:
        spec = importlib.util.find_spec("e4u")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return "(e4u not installed: pip install --no-deps e4u)"
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "emoji4unicode.xml")


# ---------------------------------------------------------------------------------------------
# Carrier arithmetic (mirrors src/emoji.rs; verified against EmojiSources below)

def sjis_index(code):
    """Position of a user-defined-area Shift_JIS code (lead F0-F9) in CP932's EUDC block."""
    lead, trail = code >> 8, code & 0xFF
    return (lead - 0xF0) * 188 + (trail - 0x40 if trail < 0x80 else trail - 0x41)


def index_sjis(index):
    lead, t = divmod(index, 188)
    return ((lead + 0xF0) << 8) | (t + 0x40 if t < 0x3F else t + 0x41)


def docomo_pua_to_sjis(pua):
    # CP932 maps the user-defined area F040-F9FC linearly onto U+E000-U+E757.
    return index_sjis(pua - 0xE000)


# KDDI's own Unicode assignment ("CP932-style" PUA) runs in six blocks of its SJIS range.
KDDI_BLOCKS = [  # (first SJIS, last SJIS, first PUA)
    (0xF340, 0xF352, 0xE5CD),
    (0xF353, 0xF3CE, 0xEA80),
    (0xF3CF, 0xF48D, 0xEB0E),
    (0xF640, 0xF7D1, 0xE468),
    (0xF7D2, 0xF7E4, 0xEAFB),
    (0xF7E5, 0xF7FC, 0xE5B5),
]


def kddi_pua_to_sjis(pua):
    for first, last, pua0 in KDDI_BLOCKS:
        n = sjis_index(last) - sjis_index(first)
        if pua0 <= pua <= pua0 + n:
            return index_sjis(sjis_index(first) + pua - pua0)
    return None


SOFTBANK_LEADS = [0xF9, 0xF7, 0xF7, 0xF9, 0xFB, 0xFB]  # pages G E F O P Q
SOFTBANK_TRAIL_BASE = [0x40, 0x40, 0xA0, 0xA0, 0x40, 0xA0]


def softbank_pua_to_sjis(pua):
    page, n = (pua - 0xE000) >> 8, pua & 0xFF
    trail = SOFTBANK_TRAIL_BASE[page] + n
    if SOFTBANK_TRAIL_BASE[page] == 0x40 and trail >= 0x7F:
        trail += 1
    return (SOFTBANK_LEADS[page] << 8) | trail


# ---------------------------------------------------------------------------------------------

# emoji4unicode marks DOUBLE CURLY LOOP (U+27BF, docomo "free dial", SoftBank E211) as an exact
# mapping although EmojiSources.txt has no row for it; it is kept as a round trip (README.md).
EXPECTED_EXTRA = [("82B", "docomo"), ("82B", "softbank")]


def read_emoji_sources(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(";")
            if len(fields) != 4:
                sys.exit(f"{path}: bad row {line!r}")
            uni = tuple(int(x, 16) for x in fields[0].split())
            rows.append((uni,) + tuple(int(x, 16) if x else 0 for x in fields[1:]))
    if len(rows) != 722:
        sys.exit(f"{path}: expected 722 rows, found {len(rows)}")
    return rows


def parse_carrier(value):
    if not value:
        return None
    exact = not value.startswith(">")
    codes = tuple(int(x, 16) for x in value.lstrip(">").split("+"))
    return (exact, codes)


def read_e4u(path):
    root = ET.parse(path).getroot()
    entries = []
    for e in root.iter("e"):
        uni = e.get("unicode")
        uni = tuple(int(x, 16) for x in uni.lstrip("+").split("+")) if uni else ()
        text = e.get("text_fallback") or ""
        if not text and e.get("text_repr"):
            r = e.get("text_repr")
            text = r if len(r) == 1 else f"[{r}]"
        entries.append({
            "id": e.get("id"),
            "name": e.get("name"),
            "unicode": uni,
            "docomo": parse_carrier(e.get("docomo")),
            "kddi": parse_carrier(e.get("kddi")),
            "softbank": parse_carrier(e.get("softbank")),
            # Google's PUA (U+FE000..) only where it is a round trip, never a ">" best fit.
            "google": int(e.get("google"), 16)
            if e.get("google") and not e.get("google").startswith(">") else 0,
            "text": text,
        })
    if len(entries) != 832:
        sys.exit(f"{path}: expected 832 <e> entries, found {len(entries)}")
    return entries


def read_kddi_yaml(path):
    """The file is a flat list of maps; read the two fields needed without a YAML library."""
    rows, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("- "):
                cur = {}
                rows.append(cur)
                line = "  " + line[2:]
            m = re.match(r"  (\w+): ?(.*)$", line)
            if m and cur is not None:
                cur[m.group(1)] = m.group(2).strip("'\"")
    out = []
    for r in rows:
        out.append((int(r["sjis"], 16), int(r["number"]), int(r["unicode"], 16)))
    if len(out) != 641:
        sys.exit(f"{path}: expected 641 rows, found {len(out)}")
    return sorted(out)


def cross_check(sources, entries):
    """Every EmojiSources row must be an exact E4U mapping under our arithmetic, and back."""
    by_uni = {e["unicode"]: e for e in entries if e["unicode"]}
    conv = {"docomo": docomo_pua_to_sjis, "kddi": kddi_pua_to_sjis,
            "softbank": softbank_pua_to_sjis}
    seen = set()
    extra = []
    for uni, d, k, s in sources:
        e = by_uni.get(uni)
        if e is None:
            sys.exit(f"EmojiSources {uni} missing from emoji4unicode.xml")
        for carrier, want in (("docomo", d), ("kddi", k), ("softbank", s)):
            g = e[carrier]
            got = conv[carrier](g[1][0]) if g and g[0] else 0
            if got != want:
                sys.exit(f"{uni} {carrier}: EmojiSources {want:04X}, e4u+arithmetic {got}")
            if want:
                seen.add((carrier, want))
    for e in entries:
        for carrier in conv:
            g = e[carrier]
            if g and g[0] and e["unicode"]:
                sj = conv[carrier](g[1][0])
                if sj is not None and (carrier, sj) not in seen:
                    extra.append((e["id"], carrier))
    return extra


def rust_str(s, escape_all=False):
    """A Rust string literal; Japanese text stays readable, emoji and marks are escaped."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F or (
                not escape_all and ord(ch) < 0x10000
                and unicodedata.category(ch)[0] in "LNPS" and not 0xE000 <= ord(ch) < 0xF900):
            out.append(ch)
        else:
            out.append(f"\\u{{{ord(ch):X}}}")
    return '"' + "".join(out) + '"'


def rust_glyph(g):
    if g is None:
        return "NONE"
    exact, codes = g
    if exact and len(codes) == 1:
        return f"x(0x{codes[0]:04X})"
    return "fit(&[" + ", ".join(f"0x{c:04X}" for c in codes) + "])"


HEADER_TABLE = """\
// @generated by crates/ashiato_charset/data/generate.py -- do not edit; regenerate instead.
//
// Sources (data rows only, not the files themselves):
// - EmojiSources.txt, Unicode Character Database (created for Unicode 6.0, mappings unchanged
//   through 15.0; Debian package `unicode-data`, /usr/share/unicode/EmojiSources.txt).
//   (c) Unicode, Inc.; Unicode Data Files licence, https://www.unicode.org/terms_of_use.html
// - emoji4unicode.xml, google/emoji4unicode data (PyPI package `e4u` 0.2rc1,
//   e4u/data/emoji4unicode.xml). Apache License 2.0; names, best-fit mappings and text
//   fallbacks are the work of the emoji4unicode authors (Darick Tong, Kat Momoi, Satoru
//   Takabayashi, Markus Scherer, Mark Davis, Yasuo Kida, Peter Edberg).
// Each entry: e(id, name, Unicode, docomo, KDDI, SoftBank, Google PUA, text fallback).
// Carrier values are each carrier's private-use code point as in emoji4unicode.xml
// (KDDI: its "CP932-style" U+E468-U+EB8E range); x(..) = round-trip, fit(..) = best-fit only.
// The generator checked every exact value against the 722 EmojiSources.txt rows.
"""

HEADER_AU = """\
// @generated by crates/ashiato_charset/data/generate.py -- do not edit; regenerate instead.
//
// au (KDDI) icon numbers for <img localsrc="N">, keyed by au Shift_JIS code.
// Derived from kddi-table.yaml of Encode-JP-Mobile (miyagawa/Encode-JP-Mobile dat/, commit
// 6c014c5171a9), (c) Tatsuhiko Miyagawa and contributors, distributed under the same terms
// as Perl (Artistic License 1.0 or GPL 1+); this derived file is used under the Artistic
// License 1.0. Change notice (Artistic 1.0 section 3): of the original's fields only the
// `sjis` and `number` columns were kept, re-sorted by Shift_JIS code and written as Rust.
// This file, like the original, is freely available under those terms. The numbers are
// KDDI's published icon numbers for content authors.
"""


def render_table(entries):
    lines = [HEADER_TABLE, f"pub(crate) static ENTRIES: [Entry; {len(entries)}] = ["]
    for e in entries:
        uni = "".join(chr(c) for c in e["unicode"])
        lines.append(
            f"    e({rust_str(e['id'])}, {rust_str(e['name'])}, {rust_str(uni, True)}, "
            f"{rust_glyph(e['docomo'])}, {rust_glyph(e['kddi'])}, {rust_glyph(e['softbank'])}, "
            f"0x{e['google']:05X}, {rust_str(e['text'])}),"
        )
    lines.append("];")
    return "\n".join(lines) + "\n"


def render_au(kddi):
    lines = [HEADER_AU, f"pub(crate) static AU_LOCALSRC: [(u16, u16); {len(kddi)}] = ["]
    for sjis, number, _pua in kddi:
        lines.append(f"    (0x{sjis:04X}, {number}),")
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__ % {"e4u": e4u_default()},
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emoji-sources", default="/usr/share/unicode/EmojiSources.txt")
    ap.add_argument("--e4u-xml", default=e4u_default())
    ap.add_argument("--kddi-yaml",
                    default=os.path.join(REPO, "..", "shared", "data", "emoji", "kddi-table.yaml"))
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed files instead of writing")
    args = ap.parse_args()

    sources = read_emoji_sources(args.emoji_sources)
    entries = read_e4u(args.e4u_xml)
    kddi = read_kddi_yaml(args.kddi_yaml)
    extra = cross_check(sources, entries)
    if extra != EXPECTED_EXTRA:
        sys.exit(f"exact e4u mappings missing from EmojiSources changed: {extra}")
    for sjis, _number, pua in kddi:
        if kddi_pua_to_sjis(pua) != sjis:
            sys.exit(f"kddi-table {sjis:04X}/{pua:04X} disagrees with KDDI_BLOCKS")

    outputs = {"emoji_table.rs": render_table(entries), "au_localsrc.rs": render_au(kddi)}
    status = 0
    for name, text in outputs.items():
        path = os.path.join(args.out_dir, name)
        if args.check:
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            print(f"{name}: {'identical' if same else 'DIFFERS'}")
            status |= 0 if same else 1
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
