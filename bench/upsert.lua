-- wrk script: POST /v1/customers, a new customer each time (+7 8RR NNNNNNN: RR from the run and
-- the wrk thread, so no number repeats across runs 0..49; the loaded base is +7 916).
-- Environment: KT_KEY (API key).
local key = os.getenv("KT_KEY")
local threads = {}
local counter = 0
local base = tonumber(os.getenv("KT_RUN") or "0") * 2 -- distinct numbers in every run

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"source":{"channel":"pos","store":"S-1"},"profile":{"phone":"+78%02d%07d",' ..
    '"last_name":"Иванова","first_name":"Анна"}}', tid + base, counter)
  return wrk.format("POST", "/v1/customers", {["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests))
end
