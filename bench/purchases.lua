-- wrk script: POST /v1/purchases, a new receipt each time (store S-<run>, receipt <thread>-<n>),
-- for a random customer of the loaded base (+7 916 0000000 .. N-1), two lines, no spending; with
-- KT_QUOTE set, POST /v1/loyalty/quote of the same basket asking to spend 10 points instead.
-- Environment: KT_KEY (API key), KT_COUNT (customers loaded), KT_RUN (distinct stores per run),
-- KT_QUOTE, KT_AT (an RFC 3339 time for every receipt: receipts typed in later; default now).
local key = os.getenv("KT_KEY")
local count = tonumber(os.getenv("KT_COUNT") or "1000000")
local run = os.getenv("KT_RUN") or "0"
local threads = {}
local counter = 0
local quote = os.getenv("KT_QUOTE") ~= nil
local path = quote and "/v1/loyalty/quote" or "/v1/purchases"
local spend = quote and ',"spend_points":10' or ""
local at = os.getenv("KT_AT") and string.format(',"at":"%s"', os.getenv("KT_AT")) or ""

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

init = function()
  math.randomseed(os.time() + tid)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"store":"S-%s","receipt":"%d-%d","customer":{"phone":"+7916%07d"},"lines":[' ..
    '{"sku":"M-1","name":"Молоко","category":"Молочное","quantity":2,"price":8990,' ..
    '"amount":17980},{"sku":"B-7","name":"Хлеб","quantity":1,"price":5490,"amount":5490}]%s%s}',
    run, tid, counter, math.random(0, count - 1), spend, at)
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json"}, body)
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
