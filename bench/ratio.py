#!/usr/bin/env python3
"""Ratios to the bare axum limit that can be trusted on a noisy machine.

The limit alone swings by a factor of two between runs on a shared machine, so one number per
server says little. This runs the service and the limit in turn (and a second limit, as a
control that should read 1.00), rotating the order every round, for each request shape; each
round gives one ratio per target against the limit measured beside it, and the table shows
their median and spread.

    bench/ratio.py                         # plain, json and yemot shapes; about 6 minutes
    ROUNDS=3 DURATION=3 bench/ratio.py     # a quick look
    bench/ratio.py --before OLD_BINARY     # adds an older build of the service, same rounds
    bench/ratio.py --latency               # also 1 connection: p50 ratios

Targets: `yemot-2fa` (target/release), `limit-axum` and `limit-axum 2` (../shared/bench), and
`limit+body`: the same limit with one change, it reads the request body before answering (what
any service that looks at its input must do). Shapes are in bench/shapes.lua.
Loopback only; every run is bounded by its duration. Writes target/bench/ratio.json.
Knobs: ROUNDS=5 DURATION=5 WARMUP=1 THREADS=2 CONNS=64 SHAPES=plain,json,yemot.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from measure import BODY, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = (ROOT / ".." / "shared" / "bench").resolve()
OUT = ROOT / "target" / "bench"
SHAPES = ROOT / "bench" / "shapes.lua"
SHAPE_NAMES = ("plain", "json", "yemot")


def env_int(name, default, least=1):
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < least:
        sys.exit(f"ratio.py: {name} must be a whole number >= {least}")
    return int(value)


def build():
    """The release service, the limit, and the limit that reads its body."""
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    limit_target = OUT / "limit-target"
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                    str(SHARED / "limit-axum" / "Cargo.toml")],
                   env={**os.environ, "CARGO_TARGET_DIR": str(limit_target)}, check=True)
    # limit+body: ../shared's limit with its handler taking the body as `Bytes`, built from a copy.
    src = OUT / "limit-body"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(SHARED / "limit-axum", src, ignore=shutil.ignore_patterns("target"))
    main = src / "src" / "main.rs"
    text = main.read_text()
    patched = text.replace("async fn constant() ->", "async fn constant(_body: axum::body::Bytes) ->")
    manifest = src / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('name = "limit-axum"', 'name = "limit-body"'))
    body = None
    if patched != text:
        main.write_text(patched)
        subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", str(manifest)],
                       env={**os.environ, "CARGO_TARGET_DIR": str(limit_target)}, check=True)
        body = limit_target / "release" / "limit-body"
    else:
        print("*** ratio.py: ../shared's limit changed shape; the limit+body row is SKIPPED ***",
              file=sys.stderr)
    return ROOT / "target" / "release" / "yemot-2fa", limit_target / "release" / "limit-axum", body


def start(binary):
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "RUST_LOG": "warn"}
    proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/2fa"
    for _ in range(200):
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=BODY),
                                   timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"ratio.py: {binary} did not start")


def wrk(url, shape, seconds, threads, conns):
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s",
           "-s", str(SHAPES), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30,
                         env={**os.environ, "SHAPE": shape}).stdout
    line = next((l for l in out.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"ratio.py: wrk gave no RESULT for {url}:\n{out}")
    r = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    failed = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"] + r["non2xx"]
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1000,
            "failed": failed}


def measure(targets, shape, mode, rounds, seconds, warmup, threads, conns):
    """Per round and target: the figure and its ratio to the limit of the same round."""
    names = list(targets)
    rows = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate: drift hits all alike
        figures = {}
        for name in order:
            if warmup:
                wrk(targets[name], shape, warmup, threads, conns)
            figures[name] = wrk(targets[name], shape, seconds, threads, conns)
        limit = figures["limit-axum"]
        for name in names:
            f = figures[name]
            f["ratio"] = (f["rps"] / limit["rps"] if mode == "throughput"
                          else f["p50_ms"] / limit["p50_ms"])
            rows[name].append(f)
        print(f"  {shape:6} {mode:10} round {r + 1}: " + "  ".join(
            f"{n} {figures[n]['rps']:,.0f}/s ×{figures[n]['ratio']:.3f}" for n in names), flush=True)
    return rows


def summary(rows):
    out = {}
    for name, figures in rows.items():
        ratios = sorted(f["ratio"] for f in figures)
        out[name] = {"rps_median": statistics.median(f["rps"] for f in figures),
                     "p50_ms_median": statistics.median(f["p50_ms"] for f in figures),
                     "ratio_median": statistics.median(ratios), "ratio_min": ratios[0],
                     "ratio_max": ratios[-1], "failed": sum(f["failed"] for f in figures)}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="an older yemot-2fa binary to measure beside this one")
    parser.add_argument("--latency", action="store_true", help="also 1 connection, p50 ratios")
    args = parser.parse_args()
    rounds, seconds = env_int("ROUNDS", 5), env_int("DURATION", 5)
    warmup = env_int("WARMUP", 1, least=0)
    threads, conns = env_int("THREADS", 2), env_int("CONNS", 64)
    shapes = os.environ.get("SHAPES", "plain,json,yemot").split(",")
    for shape in shapes:
        if shape not in SHAPE_NAMES:
            sys.exit(f"ratio.py: no shape {shape!r} (shapes: {', '.join(SHAPE_NAMES)})")
    if shutil.which("wrk") is None:
        sys.exit("ratio.py: wrk not found (apt-get install wrk)")

    service, limit, limit_body = build()
    binaries = {"yemot-2fa": service}
    if args.before:
        binaries["before"] = pathlib.Path(args.before).resolve()
    binaries["limit-axum"] = limit
    binaries["limit-axum 2"] = limit
    if limit_body:
        binaries["limit+body"] = limit_body
    procs, targets = [], {}
    try:
        for name, binary in binaries.items():
            proc, url = start(binary)
            procs.append(proc)
            targets[name] = url
        modes = [("throughput", threads, conns)] + ([("latency", 1, 1)] if args.latency else [])
        results = {}
        for shape in shapes:
            for mode, t, c in modes:
                rows = measure(targets, shape, mode, rounds, seconds, warmup, t, c)
                results.setdefault(shape, {})[mode] = summary(rows)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"rounds": rounds, "duration_s": seconds, "threads": threads, "connections": conns,
            "cores": os.cpu_count()}
    (OUT / "ratio.json").write_text(json.dumps({"settings": meta, "results": results}, indent=2))
    print(f"\n{rounds} rounds of {seconds}s per target, order rotated each round; "
          f"ratio = target / limit-axum of the same round (p50: lower is better)\n")
    print("| shape | mode | target | req/s (median) | p50 ms | ratio median | ratio min–max |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    failed = 0
    for shape, modes_ in results.items():
        for mode, table in modes_.items():
            for name, s in table.items():
                failed += s["failed"]
                print(f"| {shape} | {mode} | {name} | {s['rps_median']:,.0f} | {s['p50_ms_median']:.3f} "
                      f"| {s['ratio_median']:.3f} | {s['ratio_min']:.3f}–{s['ratio_max']:.3f} |")
    if failed:
        print(f"\nWARNING: {failed} failed or non-2xx requests: these figures are not valid")
        sys.exit(3)


if __name__ == "__main__":
    main()
