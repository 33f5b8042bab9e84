#!/usr/bin/env python3
"""Takes the screenshots in this folder from a running demo site.

    cargo build --release
    target/release/ashiato --data-dir /tmp/shots serve --demo --bind 127.0.0.1:8099 &
    target/release/ashiato --data-dir /tmp/shots admin grant --email taro@demo.ashiato.jp
    python3 docs/screenshots/take.py http://127.0.0.1:8099

Needs Debian's `chromium` and a Japanese font (`fonts-ipafont-gothic`). Pages are fetched the
way each handset fetches them (its User-Agent; docomo without cookies, its session in the URL),
saved with the bytes the server sent, and rendered by headless Chromium from those files: a
Shift_JIS XHTML page as `.xhtml` (Chromium reads the charset from the XML declaration), at the
handset's screen width. Only loopback is contacted.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

DOCOMO = "DoCoMo/2.0 N905i(c100;TB;W24H16)"
PC = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PASSWORD = "ashiato-demo"
HERE = os.path.dirname(os.path.abspath(__file__))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One handset: its User-Agent, its cookie jar (if it takes cookies) and its `ksid`."""

    def __init__(self, base, ua, cookies):
        self.base, self.ua, self.ksid = base, ua, None
        handlers = [NoRedirect()]
        if cookies:
            handlers.append(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener = urllib.request.build_opener(*handlers)
        self.charset = "utf-8"

    def url(self, path):
        if self.ksid:
            path += ("&" if "?" in path else "?") + "ksid=" + self.ksid
        return self.base + path

    def send(self, path, data=None):
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, encoding=self.charset).encode("ascii")
        req = urllib.request.Request(self.url(path), data=body, headers={"User-Agent": self.ua})
        try:
            res = self.opener.open(req)
        except urllib.error.HTTPError as e:
            res = e
        raw = res.read()
        ctype = res.headers.get("Content-Type", "")
        self.charset = "cp932" if "shift_jis" in ctype.lower() else "utf-8"
        location = res.headers.get("Location", "")
        found = re.search(r"ksid=([A-Za-z0-9_-]+)", location + raw.decode(self.charset, "replace"))
        if found:
            self.ksid = found.group(1)
        return res.status, raw, ctype, location

    def form(self, page, action, fields):
        _, raw, _, _ = self.send(page)
        text = raw.decode(self.charset, "replace")
        csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
        return self.send(action, dict(fields, csrf=csrf))


def shot(raw, ctype, name, width, height):
    suffix = ".xhtml" if "xhtml" in ctype else ".html"
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "page" + suffix)
        with open(page, "wb") as f:
            f.write(raw)
        out = os.path.join(HERE, name)
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + os.path.join(tmp, "p"),
             f"--window-size={width},{height}", "--screenshot=" + out, "file://" + page],
            check=True, capture_output=True)
        print("wrote", out)


def main(base):
    # hanako reports one of taro's entries from her docomo phone.
    phone = Client(base, DOCOMO, cookies=False)
    status, *_ = phone.form("/login", "/login", {"email": "hanako@demo.ashiato.jp", "password": PASSWORD})
    assert status == 303, status
    _, raw, _, _ = phone.send("/m/2/diary")
    entry = re.search(rb"/diary/(\d+)", raw).group(1).decode()
    _, raw, ctype, _ = phone.send(f"/diary/{entry}/report")
    shot(raw, ctype, "report-form-docomo.png", 240, 480)
    status, *_ = phone.form(f"/diary/{entry}/report", f"/diary/{entry}/report",
                            {"category": "harassment", "note": "何度も悪口を書かれます"})
    assert status == 303, status

    # The same form on a PC.
    pc = Client(base, PC, cookies=True)
    status, *_ = pc.form("/login", "/login", {"email": "yuki@demo.ashiato.jp", "password": PASSWORD})
    assert status == 303, status
    _, raw, ctype, _ = pc.send(f"/diary/{entry}/report")
    shot(raw, ctype, "report-form-pc.png", 800, 600)

    # The console: the dashboard and the report with its content and forms (taro is an admin).
    admin = Client(base, PC, cookies=True)
    status, *_ = admin.form("/login", "/login", {"email": "taro@demo.ashiato.jp", "password": PASSWORD})
    assert status == 303, status
    _, raw, ctype, _ = admin.send("/admin")
    shot(raw, ctype, "console-dashboard.png", 1000, 700)
    _, raw, _, _ = admin.send("/admin/reports")
    report = re.search(rb"/admin/reports/(\d+)", raw).group(1).decode()
    _, raw, ctype, _ = admin.send("/admin/reports")
    shot(raw, ctype, "console-reports.png", 1000, 500)
    _, raw, ctype, _ = admin.send(f"/admin/reports/{report}")
    shot(raw, ctype, "console-report.png", 1000, 1100)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8099")
