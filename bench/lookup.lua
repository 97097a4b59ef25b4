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

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
