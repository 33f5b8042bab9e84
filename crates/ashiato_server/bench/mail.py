#!/usr/bin/env python3
"""Post-by-mail benchmark (docs/benchmarks.md): mail-to-visible latency and ingest throughput
through `ashiato mail-ingest` (one process per message, as Postfix's pipe runs it) and through
the LMTP listener of `ashiato serve`. Python 3 standard library only; loopback only.

    python3 crates/ashiato_server/bench/mail.py --bin target/release/ashiato --database sqlite|postgres://... [-n 200]

Run it through mail.sh beside it, which builds the release binary and runs both backends.
"""

import argparse
import base64
import http.cookiejar
import os
import random
import re
import shutil
import smtplib
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "..", "fixtures", "mail")
DOMAIN = "m.ashiato.example"
PASSWORD = "sakura-2008-spring"


def png(width, height, seed=7):
    """An RGB PNG with a gradient and noise: compresses like a photo, not like a flat fill."""
    rnd = random.Random(seed)
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            n = rnd.randrange(32)
            rows += bytes(((x * 255 // width + n) & 255, (y * 255 // height + n) & 255, (128 + n) & 255))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")


def photo_mail(jpeg, message_id, subject):
    """A docomo-style mail: Shift_JIS text with an emoji and one JPEG attachment."""
    text = "ベンチマークの写真です".encode("cp932") + b"\xf8\x9f"
    b64 = base64.b64encode(jpeg)
    lines = b"\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    head = (
        "From: taro.@docomo.ne.jp\r\n"
        f"To: d.x@{DOMAIN}\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 01 Jul 2008 09:00:00 +0900\r\n"
        f"Message-ID: <{message_id}@docomo.ne.jp>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode()
    part = b"\r\n--b1\r\nContent-Type: image/jpeg; name=\"p.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    return head + text + part + lines + b"\r\n--b1--\r\n"


def text_mail(message_id):
    with open(os.path.join(FIXTURES, "au_iso2022jp_emoji.eml"), "rb") as f:
        raw = f.read()
    return re.sub(rb"Message-ID: <[^>]*>", f"Message-ID: <{message_id}@ezweb.ne.jp>".encode(), raw)


class Site:
    def __init__(self, binary, database):
        self.bin = binary
        self.dir = tempfile.mkdtemp(prefix="ashiato-bench-mail-")
        self.database = database if database != "sqlite" else f"sqlite://{self.dir}/ashiato.sqlite3"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ASHIATO_")}
        self.env.update({"ASHIATO_MAIL_DOMAIN": DOMAIN, "ASHIATO_PHOTO_UPLOADS_PER_HOUR": "100000",
                         "ASHIATO_PHOTO_QUOTA_COUNT": "100000", "ASHIATO_LOG": "warn"})
        self.run("member", "add", "--email", "taro@example.jp", "--nickname", "たろう", "--password", PASSWORD)
        self.member = self.last.strip()
        self.address = self.run("member", "post-address", "--email", "taro@example.jp").strip()

    def cmd(self, *args):
        return [self.bin, "--data-dir", self.dir, "--database", self.database, *args]

    def run(self, *args, stdin=None):
        p = subprocess.run(self.cmd(*args), input=stdin, capture_output=True, env=self.env)
        if p.returncode != 0:
            sys.exit(f"{args[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
        self.last = p.stdout.decode()
        return self.last

    def ingest(self, raw):
        p = subprocess.run(self.cmd("mail-ingest", "--recipient", self.address, "--sender", "taro.@docomo.ne.jp"),
                           input=raw, capture_output=True, env=self.env)
        if p.returncode != 0:
            sys.exit(f"mail-ingest exit {p.returncode}: {p.stderr.decode(errors='replace')}")

    def serve(self):
        self.server = subprocess.Popen(self.cmd("serve", "--bind", "127.0.0.1:0", "--lmtp", "127.0.0.1:0"),
                                       env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        http_addr = lmtp_addr = None
        while http_addr is None or lmtp_addr is None:
            line = self.server.stderr.readline().decode()
            if not line:
                sys.exit("serve stopped")
            m = re.match(r"ashiato: serving http://(\S+)", line)
            if m:
                http_addr = m.group(1)
            m = re.match(r"ashiato: LMTP on (\S+)", line)
            if m:
                lmtp_addr = m.group(1)
        self.http, self.lmtp = http_addr, lmtp_addr
        jar = http.cookiejar.CookieJar()
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = self.browser.open(f"http://{self.http}/login").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"email": "taro@example.jp", "password": PASSWORD, "csrf": csrf}).encode()
        self.browser.open(f"http://{self.http}/login", body)

    def diary_list(self):
        return self.browser.open(f"http://{self.http}/m/{self.member}/diary").read().decode()

    def stop(self):
        if getattr(self, "server", None):
            self.server.terminate()
            self.server.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--database", default="sqlite")
    ap.add_argument("-n", type=int, default=200, help="messages per throughput run")
    ap.add_argument("--latency-runs", type=int, default=30)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ashiato-bench-img-")
    src = os.path.join(work, "photo.png")
    jpg = os.path.join(work, "photo.jpg")
    with open(src, "wb") as f:
        f.write(png(1600, 1200))
    subprocess.run([args.bin, "image", "thumbnail", "--width", "1600", "--format", "jpeg", src, jpg],
                   check=True, capture_output=True)
    with open(jpg, "rb") as f:
        jpeg = f.read()
    shutil.rmtree(work, ignore_errors=True)

    site = Site(args.bin, args.database)
    try:
        site.serve()
        backend = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
        print(f"## {backend}: photo {len(jpeg)} bytes (1600x1200 JPEG), n={args.n}")

        # Mail-to-visible: from the start of mail-ingest to the entry on the member's diary
        # list over HTTP.
        lat = []
        for i in range(args.latency_runs):
            title = f"lat{i:04d}"
            raw = photo_mail(jpeg, f"lat.{i}.{time.time_ns()}", title)
            t0 = time.perf_counter()
            site.ingest(raw)
            while title not in site.diary_list():
                time.sleep(0.005)
            lat.append(time.perf_counter() - t0)
        print(f"mail-to-visible (pipe, 1 photo): median {statistics.median(lat)*1000:.0f} ms, "
              f"p95 {pct(lat, 95)*1000:.0f} ms, max {max(lat)*1000:.0f} ms over {len(lat)}")

        # The same through LMTP (one connection per message, as Postfix delivers).
        lat = []
        host, port = site.lmtp.rsplit(":", 1)
        for i in range(args.latency_runs):
            title = f"lmtplat{i:04d}"
            raw = photo_mail(jpeg, f"lmtplat.{i}.{time.time_ns()}", title)
            t0 = time.perf_counter()
            c = smtplib.LMTP(host, int(port))
            c.sendmail("taro.@docomo.ne.jp", [site.address], raw)
            c.quit()
            while title not in site.diary_list():
                time.sleep(0.005)
            lat.append(time.perf_counter() - t0)
        print(f"mail-to-visible (LMTP, 1 photo): median {statistics.median(lat)*1000:.0f} ms, "
              f"p95 {pct(lat, 95)*1000:.0f} ms, max {max(lat)*1000:.0f} ms over {len(lat)}")

        # Throughput: sequential mail-ingest processes, text-only and with a photo.
        for kind, make in (("text", lambda i: text_mail(f"tp.{i}.{time.time_ns()}")),
                           ("1 photo", lambda i: photo_mail(jpeg, f"tpp.{i}.{time.time_ns()}", f"tp{i}"))):
            mails = [make(i) for i in range(args.n)]
            t0 = time.perf_counter()
            for raw in mails:
                site.ingest(raw)
            dt = time.perf_counter() - t0
            print(f"throughput (pipe, sequential processes, {kind}): {args.n / dt:.1f} msg/s "
                  f"({dt / args.n * 1000:.1f} ms each)")

        # Throughput over one LMTP connection (Postfix reuses connections).
        for kind, make in (("text", lambda i: text_mail(f"lt.{i}.{time.time_ns()}")),
                           ("1 photo", lambda i: photo_mail(jpeg, f"ltp.{i}.{time.time_ns()}", f"lt{i}"))):
            mails = [make(i) for i in range(args.n)]
            c = smtplib.LMTP(host, int(port))
            t0 = time.perf_counter()
            for raw in mails:
                refused = c.sendmail("taro.@docomo.ne.jp", [site.address], raw)
                if refused:
                    sys.exit(f"LMTP refused: {refused}")
            dt = time.perf_counter() - t0
            c.quit()
            print(f"throughput (LMTP, one connection, {kind}): {args.n / dt:.1f} msg/s "
                  f"({dt / args.n * 1000:.1f} ms each)")
    finally:
        site.stop()


if __name__ == "__main__":
    main()
