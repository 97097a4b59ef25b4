-- wrk script: POS lookup by phone among the loaded base (+7 916 0000000 .. N-1), with a pos key.
-- Environment: KT_KEY (API key), KT_COUNT (customers loaded).
local key = os.getenv("KT_KEY")
local count = tonumber(os.getenv("KT_COUNT") or "1000000")
math.randomseed(os.time())

request = function()
  local i = math.random(0, count - 1)
  local path = string.format("/v1/customers?phone=%%2B7916%07d", i)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. key})
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
