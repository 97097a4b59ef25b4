-- wrk script: POST /v1/events/batch with KT_BATCH (1000) anonymous events a request - page views,
-- product views and cart adds of 200,000 visitors' cookies, each with a message id of its own.
-- Environment: KT_KEY (API key), KT_RUN (makes the message ids of each run distinct), KT_BATCH,
-- KT_CUSTOMERS, KT_PATH (below).
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

-- KT_CUSTOMERS=N (bench/journey_ingest.sh): the events of N known customers (load_customers'
-- phones +7 916 0000000..), with the properties journeys filter and key on: a category, a cart
-- (three per customer), cart removals, checkouts and searches too.
local customers = tonumber(os.getenv("KT_CUSTOMERS") or "0")
local categories = {"books", "toys", "garden", "kitchen", "sport"}
local known = {
  '"type":"page_view","properties":{"url":"https://shop.example/p/%d"}',
  '"type":"product_view","properties":{"sku":"A-%d","category":"%s"}',
  '"type":"cart_add","properties":{"sku":"A-%d","quantity":1,"price":12990,"category":"%s",' ..
    '"cart":"k%d-%d"}',
  '"type":"product_view","properties":{"sku":"A-%d","category":"%s"}',
  '"type":"cart_remove","properties":{"sku":"A-%d","quantity":1,"price":12990,"cart":"k%d-%d"}',
  '"type":"checkout_start","properties":{"items":2,"cart":"k%d-%d"}',
  '"type":"search","properties":{"query":"q%d"}',
  '"type":"page_view","properties":{"url":"https://shop.example/c/%d"}',
}

-- KT_MIX=shop: the kinds in a shop's proportions (of 40: 19 page views, 14 product views, 3
-- searches, 2 cart adds, a removal, a checkout) instead of one of each in turn.
local order = {}
if os.getenv("KT_MIX") == "shop" then
  local weights = {10, 7, 2, 7, 1, 1, 3, 9}
  for k, n in ipairs(weights) do
    for _ = 1, n do table.insert(order, k) end
  end
else
  for k = 1, #known do order[k] = k end
end

local function who_and_what(j)
  if customers == 0 then
    return string.format('"cookie":"c%d"', math.random(0, 199999)),
      string.format(kinds[(j % 3) + 1], math.random(0, 4999))
  end
  local c = math.random(0, customers - 1)
  local sku, cat, cart = math.random(0, 4999), categories[math.random(1, 5)], math.random(0, 2)
  local k = order[(j % #order) + 1]
  local what
  if k == 2 or k == 4 then
    what = string.format(known[k], sku, cat)
  elseif k == 3 then
    what = string.format(known[k], sku, cat, c, cart)
  elseif k == 5 then
    what = string.format(known[k], sku, c, cart)
  elseif k == 6 then
    what = string.format(known[k], c, cart)
  else
    what = string.format(known[k], sku)
  end
  return string.format('"phone":"+7916%07d"', c), what
end

-- KT_PATH=segment: the same visitors' events as a Segment SDK sends them, to POST /v1/batch
-- (docs/collect.md) with the key as the Basic-auth user name (KT_BASIC: base64 of "key:").
local segment = os.getenv("KT_PATH") == "segment"
local seg_kinds = {
  '"type":"page","properties":{"url":"https://shop.example/p/%d"}',
  '"type":"track","event":"Product Viewed","properties":{"product_id":"A-%d"}',
  '"type":"track","event":"Product Added","properties":{"product_id":"A-%d","quantity":1,' ..
    '"price":129.9}',
}

local function segment_request()
  local parts = {}
  for j = 1, size do
    parts[j] = string.format('{"anonymousId":"c%d","messageId":"r%s-%d-%d-%d",%s}',
      math.random(0, 199999), run, tid, counter, j,
      string.format(seg_kinds[(j % 3) + 1], math.random(0, 4999)))
  end
  return wrk.format("POST", "/v1/batch", {
    ["Authorization"] = "Basic " .. os.getenv("KT_BASIC"),
    ["Content-Type"] = "application/json",
  }, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end

request = function()
  counter = counter + 1
  if segment then
    return segment_request()
  end
  local parts = {}
  for j = 1, size do
    local who, what = who_and_what(j)
    parts[j] = string.format('{"channel":"web","message_id":"r%s-%d-%d-%d","customer":{%s},%s}',
      run, tid, counter, j, who, what)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/v1/events/batch", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end

local errors = 0
response = function(status, headers, body)
  local clean = segment and '"refused":[]' or '"refused":0'
  if status ~= 200 or not string.find(body, clean, 1, true) then
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
