#!/usr/bin/env python3
"""Measurements for bench/bench.sh that wrk cannot make. Loopback only, every wait bounded.

    measure.py startup BINARY [ENV=VALUE ...]   ms from spawn to the first 200 from /api/2fa
    measure.py rss PID                          resident memory of PID, in MB
    measure.py hold URL N SECONDS PID           open N keep-alive connections, one request each,
                                                hold them idle, print PID's RSS (MB) and how
                                                many stayed open
    measure.py chart RESULTS.json OUT.svg       bar charts of req/s and p50 per server
"""
import asyncio
import json
import os
import re
import resource
import socket
import subprocess
import sys
import time
import urllib.parse

BODY = b"secret=JBSWY3DPEHPK3PXP"
LOOPBACK = re.compile(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)(/\S*)$")


def target(url):
    m = LOOPBACK.match(url)
    if not m:
        sys.exit(f"measure.py: only loopback http:// targets: {url}")
    return ("127.0.0.1" if m.group(1) == "localhost" else m.group(1).strip("[]")), int(m.group(2)), m.group(3)


def raise_fd_limit(n):
    """Room for n sockets in this process, within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 1024)), hard))


def request(path):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit(f"no process {pid}")


def startup(binary, env_pairs):
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), RUST_LOG="warn")
    env.update(dict(p.split("=", 1) for p in env_pairs))
    started = time.monotonic()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(request("/api/2fa"))
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        print(f"{(time.monotonic() - started) * 1000:.1f}")
                        return
            except OSError:
                time.sleep(0.0005)
        sys.exit("measure.py: no answer within 5 s")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def hold(url, n, seconds, pid):
    host, port, path = target(url)
    raise_fd_limit(n)
    payload = request(path)
    sem = asyncio.Semaphore(500)  # open at most 500 at a time: a queue, not a flood

    async def one():
        async with sem:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writer.write(payload)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
            await asyncio.wait_for(reader.readexactly(length), 10)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head[:40])
            return reader, writer

    results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    conns = [r for r in results if not isinstance(r, BaseException)]
    errors = len(results) - len(conns)
    await asyncio.sleep(seconds)
    rss = rss_mb(pid)
    # Still open? A closed connection reads EOF at once.
    open_now = 0
    for reader, _ in conns:
        try:
            data = await asyncio.wait_for(reader.read(1), 0.001)
            open_now += data != b""
        except asyncio.TimeoutError:
            open_now += 1
    for _, writer in conns:
        writer.close()
    print(json.dumps({"connections": n, "opened": len(conns), "errors": errors,
                      "still_open": open_now, "rss_mb": round(rss, 1)}))


def chart(results_path, out_path):
    data = json.load(open(results_path))
    rows = data["throughput"]
    names = [r["name"] for r in rows]
    panels = [("requests/s (2 threads, 64 connections)", [r["rps"] for r in rows], "{:,.0f}"),
              ("p50 latency, 1 connection (ms)", [r["p50_ms"] for r in data["latency"]], "{:.3f}")]
    width, bar_h, gap, left = 720, 26, 10, 150
    height = 40 + sum(30 + len(names) * (bar_h + gap) for _ in panels) + 20
    colors = ["#2b6cb0", "#718096", "#dd6b20"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">yemot-2fa vs. bare axum and Node ({data["date"]}, {data["machine"]})</text>']
    y = 40
    for title, values, fmt in panels:
        out.append(f'<text x="10" y="{y + 16}" font-weight="bold">{title}</text>')
        y += 30
        top = max(values) or 1
        for i, (name, v) in enumerate(zip(names, values)):
            w = (width - left - 120) * v / top
            out.append(f'<text x="10" y="{y + 18}">{name}</text>')
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[i % 3]}"/>')
            out.append(f'<text x="{left + w + 6:.1f}" y="{y + 18}">{fmt.format(v)}</text>')
            y += bar_h + gap
    out.append("</svg>")
    with open(out_path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "startup":
        startup(args[0], args[1:])
    elif cmd == "rss":
        print(f"{rss_mb(int(args[0])):.1f}")
    elif cmd == "hold":
        asyncio.run(hold(args[0], int(args[1]), float(args[2]), int(args[3])))
    elif cmd == "chart":
        chart(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
