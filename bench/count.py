#!/usr/bin/env python3
"""Instructions, heap allocations and syscalls per request: figures a noisy machine cannot move.

Wall-clock ratios on a shared 2-core machine swing by ±20%; what a request costs under valgrind
does not. Each server runs under a tool (callgrind for instructions, dhat for allocations and
bytes, strace for syscalls) and is sent N1, then in a fresh run N2, keep-alive requests of one
shape over one connection; (total(N2) - total(N1)) / (N2 - N1) is the cost of one request, with
start-up and shutdown cancelled out.

    bench/count.py                       # every shape, every server; about 3 minutes
    bench/count.py --shapes plain,yemot  # some shapes
    bench/count.py --check               # exit 1 past the ceilings below (CI runs this)
    bench/count.py --only yemot-2fa      # the service alone (no reference rows, no --check)
    bench/count.py --keep                # also keep each callgrind profile, to read by function
    bench/count.py --before OLD_BINARY   # adds an older build of the service, as `before`

Servers: `yemot-2fa` (built with `--profile profiling`), and from ../shared/bench the bare
axum `limit` (constant answer, body not read) and `limit+body` (reads the body, answers as
long a reply), built the same way. Goals (issue 23), per request, against `limit+body`:
instructions ≤ 1.3× (plain), 1.3× (yemot), 1.45× (json); allocations ≤ 8, 8, 16. `--check`
holds the service to CEILINGS (below): today's counts with about 3% room.
Writes target/bench/count.json. Loopback only; every wait is bounded.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = (ROOT / ".." / "shared" / "bench").resolve()
OUT = ROOT / "target" / "bench"

# A sealing key used only here: the `sealed` shape opens a token sealed under it.
SEAL_KEYS = "bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

# What Yemot adds to every request (../shared/yemot-protocol.md), as in bench/shapes.lua.
YEMOT_API = ("&ApiCallId=0637ded3ada490d8854e3b03c674b4ff924a948c"
             "&ApiYFCallId=5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b&ApiDID=0771234567"
             "&ApiRealDID=0771234567&ApiPhone=0501234567&ApiExtension=2&ApiTime=1683594518")
FORM = "application/x-www-form-urlencoded"
# Worker threads, and runs of each length of which the least counts, by tool. Under valgrind
# threads take turns, and with two workers whether the idle one wakes depends on the machine's
# timing: a run now and then costs millions of instructions more at once. One worker makes the
# counts repeat to within a few instructions per request, for the limits as for the service.
# Syscalls are counted natively with two workers (as served on two cores), where a wake of the
# other worker shows as eventfd and futex calls; their count varies with timing, so the least of
# three runs counts.
WORKERS = {"instructions": "1", "allocations": "1", "syscalls": "2"}
REPEAT = {"instructions": 1, "allocations": 1, "syscalls": 3}

# What Twilio posts with every webhook of a call (its documented parameters, one call's values).
TWILIO_CALL = ("AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01"
               "&CallSid=CA0f3a7c2e9d1b4a6f8e5c3b1a7d9e2f40&CallStatus=in-progress"
               "&Called=%2B15005550006&Caller=%2B15551230001&Direction=inbound"
               "&From=%2B15551230001&To=%2B15005550006")

# name -> (content type, body, extra headers[, path]); `{sealed}` is filled in at run time. The
# path is /api/2fa unless given.
SHAPES = {
    "plain": (FORM, "secret=JBSWY3DPEHPK3PXP", ""),
    "yemot": (FORM, "secret=JBSWY3DPEHPK3PXP" + YEMOT_API, "User-Agent: yemot-core-api/1.0\r\n"),
    "json": ("application/json", '{"secret":"JBSWY3DPEHPK3PXP"}', "Accept: application/json\r\n"),
    "sealed": (FORM, "sealed={sealed}" + YEMOT_API, "User-Agent: yemot-core-api/1.0\r\n"),
    "verify": (FORM, "mode=verify&secret=JBSWY3DPEHPK3PXP" + YEMOT_API,
               "User-Agent: yemot-core-api/1.0\r\n"),
    # A Twilio call's first turn: the code read, and a ticket sealed for the next.
    "twilio": (FORM, TWILIO_CALL, "", "/api/twilio?secret=JBSWY3DPEHPK3PXP"),
}
# shape -> (instructions × limit+body's, allocations per request). GOALS are issue 23's targets;
# CEILINGS are what --check enforces: what main reached when they were set (2026-12-02: plain
# 1.43, yemot 1.57, json 1.44; 8, 8 and 10 allocations) with about 3% room, so that no change
# makes a request dearer unnoticed. Lower a ceiling when a change lowers the count.
GOALS = {"plain": (1.30, 8), "yemot": (1.30, 8), "json": (1.45, 16)}
CEILINGS = {"plain": (1.48, 8), "yemot": (1.62, 8), "json": (1.48, 10)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(only_service):
    """The profiling binaries: symbols kept, so callgrind's by-function view reads."""
    subprocess.run(["cargo", "build", "--profile", "profiling", "--locked", "--quiet"],
                   cwd=ROOT, check=True)
    servers = {"yemot-2fa": ROOT / "target" / "profiling" / "yemot-2fa"}
    if only_service:
        return servers
    if not (SHARED / "limit-body").is_dir():
        print(f"*** count.py: {SHARED} is missing: the limit rows are SKIPPED ***", file=sys.stderr)
        return servers
    target = OUT / "limits-target"
    for name, label in (("limit-axum", "limit"), ("limit-body", "limit+body")):
        manifest = SHARED / name / "Cargo.toml"
        # limit-axum declares no `profiling` profile: release with symbols is the same thing.
        env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_PROFILE_RELEASE_DEBUG="true",
                   CARGO_PROFILE_RELEASE_STRIP="none")
        subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", str(manifest)],
                       check=True, env=env)
        servers[label] = target / "release" / name
    return servers


def request(shape, sealed):
    ctype, body, extra, *path = SHAPES[shape]
    path = path[0] if path else "/api/2fa"
    body = body.replace("{sealed}", sealed).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def read_response(sock, buf):
    """One HTTP/1.1 response off `sock` (Content-Length framed); returns (status, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("count.py: the server closed the connection")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("count.py: the server closed the connection mid-body")
        rest += chunk
    return status, rest[length:]


def drive(port, payload, n):
    """n requests, one at a time, on one keep-alive connection; every answer must be a 200."""
    deadline = time.monotonic() + 60
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("count.py: the server did not start within 60 s")
            time.sleep(0.05)
    with sock:
        buf = b""
        for _ in range(n):
            sock.sendall(payload)
            status, buf = read_response(sock, buf)
            if status != 200:
                raise SystemExit(f"count.py: got HTTP {status}, not 200")


def tool_command(tool, out):
    if tool == "instructions":
        return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet"]
    if tool == "allocations":
        return ["valgrind", "--tool=dhat", f"--dhat-out-file={out}.json", f"--log-file={out}"]
    return ["strace", "-f", "-c", "-o", out]


def total(tool, out):
    """What the whole run cost: instructions, (allocations, bytes), or syscalls."""
    text = pathlib.Path(out).read_text()
    if tool == "instructions":
        return int(re.search(r"^summary: (\d+)", text, re.M).group(1))
    if tool == "allocations":
        m = re.search(r"Total:\s+([\d,]+) bytes in ([\d,]+) blocks", text)
        return int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))
    return int(re.search(r"^-+\s.*\n\s*100\.00\s+[\d.]+\s+\d+\s+(\d+)", text, re.M).group(1))


# In the last seconds of a 30-second step the service reads out the next code too, a second
# HMAC per request (src/call/flow.rs, `reading`): a run that crosses them costs more. Each run of
# the service starts where the step leaves it room; the limits compute no code.
STEP, WARN_BELOW = 30, 7
ROOM = {"instructions": 10, "allocations": 10, "syscalls": 3}


def wait_for_room(seconds):
    """Sleeps into the next step unless `seconds` fit before the current one's last seconds."""
    left = STEP - WARN_BELOW - time.time() % STEP
    if left < seconds:
        time.sleep(left + WARN_BELOW + 0.5)


def run(binary, tool, payload, n, keep=None):
    if pathlib.Path(binary).name == "yemot-2fa":
        wait_for_room(ROOM[tool] * max(1, n / 900))
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), RUST_LOG="warn",
               SEAL_KEYS=SEAL_KEYS, TOKIO_WORKER_THREADS=WORKERS[tool])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        proc = subprocess.Popen(tool_command(tool, out) + [str(binary)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            drive(port, payload, n)
        finally:
            # strace runs the server as its child; valgrind runs it in its own process.
            stop = [proc.pid]
            if tool == "syscalls":
                children = pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                stop = [int(p) for p in children.read_text().split()] or stop
            for pid in stop:
                os.kill(pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise SystemExit("count.py: the server did not stop within 60 s of SIGTERM")
        if keep:
            shutil.copy(out, keep)
        return total(tool, out)


def least(binary, tool, payload, n, keep=None):
    """The least of the tool's runs (see REPEAT)."""
    return min(run(binary, tool, payload, n, keep) for _ in range(REPEAT[tool]))


def per_request(binary, tool, payload, n1, n2, keep=None):
    a, b = least(binary, tool, payload, n1), least(binary, tool, payload, n2, keep)
    if isinstance(a, tuple):
        return tuple((y - x) / (n2 - n1) for x, y in zip(a, b))
    return (b - a) / (n2 - n1)


def sealed_token(binary):
    """A token sealing the plain shape's secret, made by the binary itself."""
    done = subprocess.run([str(binary), "seal"], input="JBSWY3DPEHPK3PXP\n", text=True,
                          capture_output=True, env=dict(os.environ, SEAL_KEYS=SEAL_KEYS),
                          check=True, timeout=30)
    return done.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--check", action="store_true", help="exit 1 past the CEILINGS")
    parser.add_argument("--only", choices=["yemot-2fa"], help="measure the service alone")
    parser.add_argument("--n1", type=int, default=300)
    parser.add_argument("--n2", type=int, default=900)
    parser.add_argument("--no-strace", action="store_true")
    parser.add_argument("--before", metavar="BINARY",
                        help="also measure an older build of the service (its binary), as `before`")
    parser.add_argument("--keep", action="store_true",
                        help="keep the N2 run's callgrind profile of each server and shape in "
                             "target/bench/ (read it with callgrind_annotate --inclusive=yes)")
    args = parser.parse_args()
    shapes = [s for s in args.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            sys.exit(f"count.py: no shape {s}; there are {', '.join(SHAPES)}")
    for tool in ("valgrind", "strace"):
        if shutil.which(tool) is None and not (tool == "strace" and args.no_strace):
            sys.exit(f"count.py: needs {tool} (apt-get install -y valgrind strace)")
    servers = build(args.only)
    if args.before:
        servers = {"yemot-2fa": servers.pop("yemot-2fa"), "before": pathlib.Path(args.before), **servers}
    if args.check and "limit+body" not in servers:
        sys.exit("count.py: --check needs ../shared/bench's limit-body")
    sealed = sealed_token(servers["yemot-2fa"])
    tools = ["instructions", "allocations"] + ([] if args.no_strace else ["syscalls"])
    results = {}
    for shape in shapes:
        payload = request(shape, sealed)
        for name, binary in servers.items():
            # The limits answer every shape alike; their figures only change with the body's size.
            # A shape of its own path (Twilio's) is the service's alone: the limits, and a build
            # from before the path, would answer 404.
            if name != "yemot-2fa" and len(SHAPES[shape]) > 3:
                continue
            row = results.setdefault(shape, {}).setdefault(name, {})
            for tool in tools:
                keep = None
                if args.keep and tool == "instructions":
                    OUT.mkdir(parents=True, exist_ok=True)
                    keep = OUT / f"callgrind.{shape}.{name.replace('+', '-')}.out"
                value = per_request(binary, tool, payload, args.n1, args.n2, keep)
                if tool == "allocations":
                    row["allocations"], row["bytes"] = value
                else:
                    row[tool] = value
            print(f"{shape:7} {name:10} " + "  ".join(
                f"{k} {v:,.1f}" for k, v in row.items()), flush=True)
    print()
    print("| shape | server | instructions | allocations | bytes | syscalls | × limit+body instr |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    failed, goals = [], []
    for shape, rows in results.items():
        floor = rows.get("limit+body", {}).get("instructions")
        for name, row in rows.items():
            ratio = row["instructions"] / floor if floor else None
            print(f"| {shape} | {name} | {row['instructions'] / 1000:.1f}k | {row['allocations']:.1f}"
                  f" | {row['bytes']:,.0f} | {row.get('syscalls', float('nan')):.1f}"
                  f" | {'' if ratio is None else f'{ratio:.2f}'} |")
            if name != "yemot-2fa" or shape not in GOALS or ratio is None:
                continue
            allocs = row["allocations"]
            goal_instr, goal_allocs = GOALS[shape]
            met = ratio <= goal_instr and allocs <= goal_allocs + 0.5
            goals.append(f"{shape}: {ratio:.2f}× (goal {goal_instr}×), {allocs:.1f} allocations "
                         f"(goal {goal_allocs}): {'met' if met else 'NOT MET'}")
            most_instr, most_allocs = CEILINGS[shape]
            if ratio > most_instr:
                failed.append(f"{shape}: {ratio:.2f}× limit+body's instructions > ceiling {most_instr}×")
            if allocs > most_allocs + 0.5:
                failed.append(f"{shape}: {allocs:.1f} allocations > ceiling {most_allocs}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "count.json").write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "results": results,
                                                "goals": goals}, indent=2))
    for line in goals:
        print(f"goal  {line}")
    if args.check:
        for line in failed:
            print(f"count.py: PAST CEILING {line}", file=sys.stderr)
        if failed:
            sys.exit(1)
        print("count.py: every ceiling held")


if __name__ == "__main__":
    main()
