-- wrk script: POST /v1/events/batch with KT_BATCH (1000) anonymous events a request - page views,
-- product views and cart adds of 200,000 visitors' cookies, each with a message id of its own.
-- Environment: KT_KEY (API key), KT_RUN (makes the message ids of each run distinct), KT_BATCH.
local key = os.getenv("KT_KEY")
local run = os.getenv("KT_RUN") or "0"
local size = tonumber(os.getenv("KT_BATCH") or "1000")
local threads = {}
local counter = 0

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

init = function()
  math.randomseed(os.time() + tid * 7919)
end

local kinds = {
  '"type":"page_view","properties":{"url":"https://shop.example/p/%d"}',
  '"type":"product_view","properties":{"sku":"A-%d"}',
  '"type":"cart_add","properties":{"sku":"A-%d","quantity":1,"price":12990}',
}

request = function()
  counter = counter + 1
  local parts = {}
  for j = 1, size do
    parts[j] = string.format(
      '{"channel":"web","message_id":"r%s-%d-%d-%d","customer":{"cookie":"c%d"},%s}',
      run, tid, counter, j, math.random(0, 199999),
      string.format(kinds[(j % 3) + 1], math.random(0, 4999)))
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/v1/events/batch", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"refused":0', 1, true) then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status or 0
  io.write(string.format(
    "RESULT rps=%.1f events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6),
    summary.requests * size / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    non2xx, summary.requests))
end
