#!/usr/bin/env python3
"""Reliability checks against a running (or started) yemot-2fa, loopback only, each bounded.

    stress.py keepalive URL N SECONDS PERIOD   N keep-alive connections, each sending a request
                                               every PERIOD s for SECONDS; errors must be 0
    stress.py slowloris URL N SECONDS          N clients sending headers a byte every 100 ms,
                                               while one client measures normal requests;
                                               prints their p50/p99 and how many slow ones the
                                               server closed
    stress.py drain BINARY N                   starts BINARY, puts N requests mid-body, sends
                                               SIGTERM, finishes the bodies: every one must get
                                               its answer, and the process must exit in time
Prints one JSON line; exit status 1 when the check failed.
"""
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

# Shared with measure.py, beside this file: loopback-only targets, free ports, file limits.
from measure import BODY, free_port, raise_fd_limit, target


def head(path, length=len(BODY)):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


async def read_answer(reader, timeout=10):
    top = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    length = int(re.search(rb"content-length: (\d+)", top, re.I).group(1))
    body = await asyncio.wait_for(reader.readexactly(length), timeout)
    return top, body


async def keepalive(url, n, seconds, period):
    host, port, path = target(url)
    raise_fd_limit(n)
    request = head(path) + BODY
    errors, answered = 0, 0
    sem = asyncio.Semaphore(500)

    async def client(i):
        nonlocal errors, answered
        async with sem:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            except Exception:
                errors += 1
                return
        deadline = time.monotonic() + seconds
        await asyncio.sleep(period * (i % 100) / 100)  # spread the requests over the period
        try:
            while True:
                writer.write(request)
                await writer.drain()
                top, _ = await read_answer(reader)
                if not top.startswith(b"HTTP/1.1 200"):
                    errors += 1
                answered += 1
                if time.monotonic() + period > deadline:
                    break
                await asyncio.sleep(period)
        except Exception:
            errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(n)))
    result = {"check": "keepalive", "connections": n, "seconds": round(time.monotonic() - started, 1),
              "requests": answered, "errors": errors}
    print(json.dumps(result))
    return errors == 0


async def slowloris(url, n, seconds):
    host, port, path = target(url)
    raise_fd_limit(n)
    trickle = head(path) + b"X-Slow: " + b"a" * 10_000
    closed = 0

    async def slow():
        nonlocal closed
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except Exception:
            return
        try:
            for byte in trickle:
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), 0.1) == b"":
                        closed += 1
                        return
                    closed += 1  # the server answered (408) and will close
                    return
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError):
            closed += 1
        finally:
            writer.close()

    async def normal(stop):
        latencies, errors = [], 0
        reader, writer = await asyncio.open_connection(host, port)
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                writer.write(head(path) + BODY)
                await writer.drain()
                top, _ = await read_answer(reader, 5)
                latencies.append((time.perf_counter() - t) * 1000)
                if not top.startswith(b"HTTP/1.1 200"):
                    errors += 1
            except Exception:
                errors += 1
                reader, writer = await asyncio.open_connection(host, port)
            await asyncio.sleep(0.005)
        writer.close()
        return latencies, errors

    stop = time.monotonic() + seconds
    slow_tasks = [asyncio.create_task(slow()) for _ in range(n)]
    latencies, errors = await normal(stop)
    for t in slow_tasks:
        t.cancel()
    await asyncio.gather(*slow_tasks, return_exceptions=True)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    result = {"check": "slowloris", "slow_clients": n, "closed_by_server": closed, "normal_requests": len(latencies),
              "normal_errors": errors, "p50_ms": round(q[49], 3), "p99_ms": round(q[98], 3)}
    print(json.dumps(result))
    return errors == 0


async def drain(binary, n):
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), RUST_LOG="warn", DRAIN_SECS="5")
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.01)
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(n)]
    for _, writer in conns:
        writer.write(head("/api/2fa") + BODY[:5])  # accepted, body not finished
        await writer.drain()
    await asyncio.sleep(0.2)
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.2)
    answered = 0
    for reader, writer in conns:
        writer.write(BODY[5:])
        await writer.drain()
        try:
            top, body = await read_answer(reader, 5)
            answered += top.startswith(b"HTTP/1.1 200") and body.startswith(b"read=")
        except Exception:
            pass
        writer.close()
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "killed"
    result = {"check": "drain", "in_flight_at_sigterm": n, "answered": answered, "exit_status": code,
              "exit_after_s": round(time.monotonic() - signalled, 2)}
    print(json.dumps(result))
    return answered == n and code == 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "keepalive":
        ok = asyncio.run(keepalive(a[0], int(a[1]), float(a[2]), float(a[3])))
    elif cmd == "slowloris":
        ok = asyncio.run(slowloris(a[0], int(a[1]), float(a[2])))
    elif cmd == "drain":
        ok = asyncio.run(drain(a[0], int(a[1])))
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
