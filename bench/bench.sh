#!/usr/bin/env bash
# The benchmark kit: builds the release binary and the reference servers of ../shared/bench
# (a bare axum "hello world", the ceiling; a Node + speakeasy peer), starts all three on free
# loopback ports, and measures in one run:
#   - throughput (wrk, 2 threads, 64 connections) and latency (1 connection), via ../shared/bench/run.sh
#   - resident memory idle after the load (well over 100k requests), and holding 10,000 idle
#     keep-alive connections
#   - time from process start to the first successful answer
#   - release binary size
# then prints one table and writes target/bench/results.json and target/bench/chart.svg.
#
#   bench/bench.sh                      # about 4 minutes
#   DURATION=3 ROUNDS=1 bench/bench.sh  # a quick look
#
# Loopback only; every load is bounded by its duration. Needs wrk, curl, python3 (and node +
# npm for the peer; without them the peer is skipped, loudly). Knobs: DURATION ROUNDS CONNS_HELD.
# For ratios to the limit that hold on a noisy machine, per request shape: bench/ratio.py.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=$(cd ../shared/bench && pwd)
out=$root/target/bench
mkdir -p "$out"
export DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-2} WARMUP=${WARMUP:-2}
held=${CONNS_HELD:-10000}

for tool in wrk curl python3 cargo; do
  command -v $tool >/dev/null || { echo "bench.sh: $tool not found (apt-get install wrk curl python3)" >&2; exit 2; }
done
peer=yes
command -v node >/dev/null && command -v npm >/dev/null || { peer=no; echo "*** bench.sh: node/npm not found: the Node peer is SKIPPED ***" >&2; }

echo "== building"
cargo build --release --locked --quiet
binary=$root/target/release/yemot-2fa
CARGO_TARGET_DIR=$out/limit-target cargo build --release --quiet --manifest-path "$shared/limit-axum/Cargo.toml"
limit_bin=$out/limit-target/release/limit-axum
if [[ $peer == yes && ! -d $out/peer-node/node_modules ]]; then
  rm -rf "$out/peer-node" && cp -r "$shared/peer-node" "$out/peer-node" && chmod -R u+w "$out/peer-node"
  npm ci --prefix "$out/peer-node" --no-audit --no-fund --silent
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null -d secret=JBSWY3DPEHPK3PXP "$1" && return 0; sleep 0.05; done; echo "bench.sh: $1 did not start" >&2; exit 1; }

svc_port=$(free_port); HOST=127.0.0.1 PORT=$svc_port RUST_LOG=warn "$binary" >/dev/null 2>&1 & svc_pid=$!; pids+=($svc_pid)
lim_port=$(free_port); PORT=$lim_port "$limit_bin" >/dev/null 2>&1 & lim_pid=$!; pids+=($lim_pid)
urls=("http://127.0.0.1:$svc_port/api/2fa" "http://127.0.0.1:$lim_port/api/2fa")
names=(yemot-2fa limit-axum)
procs=($svc_pid $lim_pid)
if [[ $peer == yes ]]; then
  node_port=$(free_port); (cd "$out" && PORT=$node_port exec node peer-node/server.js >/dev/null 2>&1) & node_pid=$!; pids+=($node_pid)
  urls+=("http://127.0.0.1:$node_port/api/2fa"); names+=(peer-node); procs+=($node_pid)
fi
for u in "${urls[@]}"; do wait_up "$u"; done

# "mean over rounds" rows of run.sh: name req/s p50 p99
means() { awk '/^mean over rounds/ {on=1; next} on && /^  [A-Z] / {print $2, $3, $4}'; }

echo; echo "== throughput"
"$shared/run.sh" "${urls[@]}" | tee "$out/throughput.txt"
echo; echo "== latency"
"$shared/run.sh" --latency "${urls[@]}" | tee "$out/latency.txt"
mapfile -t tput < <(means <"$out/throughput.txt")
mapfile -t lat < <(means <"$out/latency.txt")

echo; echo "== memory"
sleep 2
idle=(); conns=()
for i in "${!urls[@]}"; do
  idle+=("$(python3 bench/measure.py rss "${procs[$i]}")")
  conns+=("$(python3 bench/measure.py hold "${urls[$i]}" "$held" 3 "${procs[$i]}")")
  echo "${names[$i]}: idle ${idle[$i]} MB; holding: ${conns[$i]}"
done

echo; echo "== startup"
starts=(); for _ in 1 2 3 4 5; do starts+=("$(python3 bench/measure.py startup "$binary")"); done
startup=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 3p)
echo "first answer after start: ${starts[*]} ms (median $startup)"
size=$(stat -c %s "$binary")

python3 - "$out" "$size" "$startup" "${#urls[@]}" "${names[@]}" "${tput[@]}" "${lat[@]}" "${idle[@]}" "${conns[@]}" <<'PY'
import datetime, json, os, platform, sys
out, size, startup, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rest = sys.argv[5:]
names, tput, lat, idle, conns = rest[:n], rest[n:2*n], rest[2*n:3*n], rest[3*n:4*n], rest[4*n:5*n]
row = lambda s: dict(zip(("rps", "p50_ms", "p99_ms"), map(float, s.split())))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
data = {"date": datetime.date.today().isoformat(), "machine": f"{os.cpu_count()} cores, {cpu}",
        "throughput": [dict(name=a, **row(b)) for a, b in zip(names, tput)],
        "latency": [dict(name=a, **row(b)) for a, b in zip(names, lat)],
        "memory": [dict(name=a, idle_mb=float(b), held=json.loads(c)) for a, b, c in zip(names, idle, conns)],
        "startup_ms": startup, "binary_bytes": size}
json.dump(data, open(f"{out}/results.json", "w"), indent=2)
t, l, m = data["throughput"], data["latency"], data["memory"]
svc, lim = 0, 1
peer = 2 if n > 2 else None
ok = lambda c: "met" if c else "MISSED"
print(f"\n## yemot-2fa benchmark, {data['date']}, {data['machine']}\n")
print("| server | req/s (2 thr, 64 conn) | p50 ms (1 conn) | p99 ms (1 conn) | idle RSS MB | RSS MB, 10k idle conns (open) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for i in range(n):
    h = m[i]["held"]
    print(f"| {t[i]['name']} | {t[i]['rps']:,.0f} | {l[i]['p50_ms']:.3f} | {l[i]['p99_ms']:.3f} | {m[i]['idle_mb']:.1f} | {h['rss_mb']:.1f} ({h['still_open']}/{h['connections']}) |")
print("\n| target | measured | |\n| --- | --- | --- |")
r = t[svc]["rps"] / t[lim]["rps"]
print(f"| throughput ≥ 0.90× limit | {r:.3f}× | {ok(r >= 0.9)} |")
if peer is not None:
    r = t[svc]["rps"] / t[peer]["rps"]
    print(f"| throughput ≥ 20× Node peer | {r:.1f}× | {ok(r >= 20)} |")
r = l[svc]["p50_ms"] / l[lim]["p50_ms"]
print(f"| p50 (1 conn) ≤ 1.15× limit | {r:.3f}× | {ok(r <= 1.15)} |")
print(f"| idle RSS ≤ 10 MB | {m[svc]['idle_mb']:.1f} MB | {ok(m[svc]['idle_mb'] <= 10)} |")
h = m[svc]["held"]
print(f"| RSS with 10k idle conns ≤ 80 MB | {h['rss_mb']:.1f} MB, {h['still_open']} open, {h['errors']} errors | {ok(h['rss_mb'] <= 80 and h['errors'] == 0)} |")
print(f"| first answer ≤ 50 ms after start | {startup:.1f} ms | {ok(startup <= 50)} |")
print(f"| binary ≤ 10 MB | {size / 1e6:.2f} MB | {ok(size <= 10e6)} |")
PY
python3 bench/measure.py chart "$out/results.json" "$out/chart.svg"
echo; echo "wrote $out/results.json and $out/chart.svg"
