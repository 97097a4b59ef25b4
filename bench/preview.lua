-- wrk script: POST /v1/segments/preview with one analytic query, back to back (an analyst who
-- keeps pressing "count"). Environment: KT_KEY (an admin key), KT_QUERY (the segment's text;
-- default the issue's "bought over 50,000 roubles in a year").
local key = os.getenv("KT_KEY")
local query = os.getenv("KT_QUERY") or "purchases(last 365 days).sum > 50000"

request = function()
  return wrk.format("POST", "/v1/segments/preview", {["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json"}, string.format('{"query":"%s","sample":0}', query))
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
