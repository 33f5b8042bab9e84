#!/usr/bin/env python3
"""R-09 drill (docs/reliability.md): thousands of slow connections against `ashiato serve`.

Starts the binary on a fresh demo data directory, measures a healthy client's latency for
`/login` (a new connection per request, as a carrier gateway makes them), then opens --slow
connections that trickle one header line every --trickle seconds and never finish their
request (slowloris), reopening each one the server closes, and measures the healthy client
again while they hang on. Prints one line of figures and exits 1 when a healthy request
failed, when the healthy p99 under attack exceeds --max-p99-ms, or when the server did not
close the slow connections (its request-head timeout).

Only loopback traffic. Python standard library only.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def start_server(binary, data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASHIATO_")}
    env["ASHIATO_LOG"] = "warn"
    proc = subprocess.Popen(
        [binary, "--data-dir", data_dir, "serve", "--demo", "--bind", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"serving http://(\S+)", line)
        if m:
            host, port = m.group(1).rsplit(":", 1)
            # Keep draining stderr so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, host, int(port)
    proc.kill()
    sys.exit("drill: the server did not start")


def one_request(host, port):
    """One healthy request on a new connection (blocking); returns its seconds."""
    start = time.perf_counter()
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(
            f"GET /login HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
            + b"User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    elapsed = time.perf_counter() - start
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(data[:40])
    return elapsed


def measure(host, port, seconds):
    """The healthy client: sequential requests for `seconds`, in its own process so that the
    attacker's event loop never delays it. Prints JSON."""
    times, failures = [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            times.append(one_request(host, port))
        except Exception:  # noqa: BLE001 (any failure counts)
            failures += 1
        time.sleep(0.01)
    print(json.dumps({"times": times, "failures": failures}))


async def healthy(host, port, seconds):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--measure", f"{host}:{port}", "--seconds", str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    result = json.loads(out)
    return result["times"], result["failures"]


def p99(times):
    if not times:
        return float("nan")
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def slow_client(host, port, trickle, stop, stats):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["open"] += 1
        opened = time.perf_counter()
        writer.write(f"GET /login HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())
        try:
            while not stop.is_set():
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1024), trickle)
                except asyncio.TimeoutError:
                    writer.write(b"X-Slow: 1\r\n")
                    continue
                # An answer (408) or the end of the stream: the server cut the request off.
                stats["closed"] += 1
                stats["lifetimes"].append(time.perf_counter() - opened)
                break
        except (ConnectionError, OSError):
            stats["closed"] += 1
            stats["lifetimes"].append(time.perf_counter() - opened)
        finally:
            stats["open"] -= 1
            writer.close()


async def drill(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.slow * 2 + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    with tempfile.TemporaryDirectory() as data_dir:
        proc, host, port = start_server(args.bin, data_dir)
        try:
            one_request(host, port)  # warm up
            before, before_failed = await healthy(host, port, args.seconds)
            stop = asyncio.Event()
            stats = {"open": 0, "closed": 0, "refused": 0, "lifetimes": []}
            tasks = [
                asyncio.create_task(slow_client(host, port, args.trickle, stop, stats))
                for _ in range(args.slow)
            ]
            await asyncio.sleep(2)  # let them connect
            peak_open = stats["open"]
            during, during_failed = await healthy(host, port, args.seconds)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    life = statistics.median(stats["lifetimes"]) if stats["lifetimes"] else float("nan")
    line = (
        f"R-09 slowloris: {args.slow} slow connections ({peak_open} open at once); healthy "
        f"/login p99 {p99(before):.1f} ms before, {p99(during):.1f} ms during "
        f"({len(before)} and {len(during)} requests, {before_failed + during_failed} failed); "
        f"slow requests cut off by the server: {stats['closed']} (median after {life:.1f} s)"
    )
    print(line)
    problems = []
    if before_failed + during_failed:
        problems.append("healthy requests failed")
    if p99(during) > args.max_p99_ms:
        problems.append(f"healthy p99 under attack above {args.max_p99_ms} ms")
    if stats["closed"] == 0:
        problems.append("the server never closed a slow connection")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("ASHIATO_DRILL_BIN", "target/release/ashiato"))
    parser.add_argument("--slow", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--trickle", type=float, default=2.0)
    parser.add_argument("--max-p99-ms", type=float, default=100)
    parser.add_argument("--measure", metavar="HOST:PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        host, port = args.measure.rsplit(":", 1)
        measure(host, int(port), args.seconds)
        return
    sys.exit(asyncio.run(drill(args)))


if __name__ == "__main__":
    main()
