-- The request shapes of bench/ratio.py, picked by the SHAPE environment variable, each ending
-- on one machine-readable RESULT line (latencies in microseconds), as ../shared/bench/post.lua.
local shapes = {
  -- The plain form: what ../shared/bench/post.lua sends.
  plain = {
    body = "secret=JBSWY3DPEHPK3PXP",
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
  },
  -- A developer's JSON request.
  json = {
    body = '{"secret":"JBSWY3DPEHPK3PXP"}',
    headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" },
  },
  -- What Yemot sends (api_url_post=yes): the owner's secret and the seven Api* parameters of
  -- every request (../shared/yemot-protocol.md), with Yemot's User-Agent.
  yemot = {
    body = "secret=JBSWY3DPEHPK3PXP&ApiCallId=0637ded3ada490d8854e3b03c674b4ff924a948c" ..
      "&ApiYFCallId=5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b&ApiDID=0771234567&ApiRealDID=0771234567" ..
      "&ApiPhone=0501234567&ApiExtension=2&ApiTime=1683594518",
    headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "yemot-core-api/1.0",
    },
  },
}

local name = os.getenv("SHAPE") or "plain"
local shape = shapes[name] or error("bench/shapes.lua: no shape " .. name)
wrk.method = "POST"
wrk.body = shape.body
for k, v in pairs(shape.headers) do
  wrk.headers[k] = v
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
