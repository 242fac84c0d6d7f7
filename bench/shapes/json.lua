-- A developer's JSON request.
wrk.method = "POST"
wrk.body = '{"secret":"JBSWY3DPEHPK3PXP"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
