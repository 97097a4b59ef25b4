-- wrk script: what a chain's tills send, mixed: 70 % lookups by phone, 20 % receipts (two lines,
-- no spending), 10 % batches of 10 behaviour events of known customers, for random customers of
-- the loaded base (+7 916 0000000 .. N-1). Environment: KT_KEY (a pos key), KT_COUNT (customers
-- loaded), KT_RUN (makes receipt numbers and message ids of each run distinct).
local key = os.getenv("KT_KEY")
local count = tonumber(os.getenv("KT_COUNT") or "100000")
local run = os.getenv("KT_RUN") or "0"
local threads = {}
local counter = 0
local auth = "Bearer " .. key

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

init = function()
  math.randomseed(os.time() + tid * 7919)
end

local function phone()
  return string.format("+7916%07d", math.random(0, count - 1))
end

local function receipt()
  return wrk.format("POST", "/v1/purchases", {["Authorization"] = auth,
    ["Content-Type"] = "application/json"}, string.format(
    '{"store":"S-M%s","receipt":"%d-%d","customer":{"phone":"%s"},"lines":[' ..
    '{"sku":"M-1","name":"Молоко","category":"Молочное","quantity":2,"price":8990,' ..
    '"amount":17980},{"sku":"B-7","name":"Хлеб","quantity":1,"price":5490,"amount":5490}]}',
    run, tid, counter, phone()))
end

local function events()
  local who = phone()
  local parts = {}
  for j = 1, 10 do
    parts[j] = string.format('{"type":"product_view","channel":"app","message_id":"m%s-%d-%d-%d",' ..
      '"customer":{"phone":"%s"},"properties":{"sku":"A-%d"}}', run, tid, counter, j, who,
      math.random(1, 5000))
  end
  return wrk.format("POST", "/v1/events/batch", {["Authorization"] = auth,
    ["Content-Type"] = "application/json"}, '{"events":[' .. table.concat(parts, ",") .. ']}')
end

request = function()
  counter = counter + 1
  local x = math.random(1, 100)
  if x <= 70 then
    return wrk.format("GET", "/v1/customers?phone=" .. phone():gsub("+", "%%2B"),
      {["Authorization"] = auth})
  elseif x <= 90 then
    return receipt()
  end
  return events()
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
