-- What Yemot sends (api_url_post=yes): the owner's secret and the seven Api* parameters of
-- every request (../shared/yemot-protocol.md), with Yemot's User-Agent.
wrk.method = "POST"
wrk.body = "secret=JBSWY3DPEHPK3PXP&ApiCallId=0637ded3ada490d8854e3b03c674b4ff924a948c" ..
  "&ApiYFCallId=5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b&ApiDID=0771234567&ApiRealDID=0771234567" ..
  "&ApiPhone=0501234567&ApiExtension=2&ApiTime=1683594518"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["User-Agent"] = "yemot-core-api/1.0"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
