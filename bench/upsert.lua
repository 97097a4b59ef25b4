-- wrk script: POST /v1/customers, a new customer each time (+7 9RR NNNNNNN, RR = 20 + the run and
-- the wrk thread, so no number repeats across runs 0..39; the loaded base is +7 916, and every
-- +7 920-999 number is a valid mobile, so cleaning refuses none).
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
    '{"source":{"channel":"pos","store":"S-1"},"profile":{"phone":"+79%02d%07d",' ..
    '"last_name":"Иванова","first_name":"Анна"}}', 20 + tid + base, counter)
  return wrk.format("POST", "/v1/customers", {["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json"}, body)
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
