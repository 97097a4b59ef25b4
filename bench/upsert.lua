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

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
