-- wrk script: the till's enrolment with its code SMS, POST /v1/pos/enroll for a new phone each
-- time (+7 998 R T NNNNN, R = KT_RUN, T = the wrk thread: made up): the customer stored pending
-- consent, a virtual card, a one-time code and its SMS queued - the reference of bench/pages.sh's
-- join submissions. The pos keys (KT_KEYS, separated by spaces) take turns, so the codes' limit
-- per key and minute (otp.per_key_minute, 10,000 at most) is not what is measured.
-- Environment: KT_KEYS, KT_RUN (0-9).
local keys = {}
for k in (os.getenv("KT_KEYS") or ""):gmatch("%S+") do
  table.insert(keys, k)
end
local run = tonumber(os.getenv("KT_RUN") or "0")
local threads = {}
local counter = 0

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local body = string.format('{"phone":"+7998%d%d%05d","store":"MSK-7","operator":"bench"}', run,
    tid, counter)
  return wrk.format("POST", "/v1/pos/enroll", {["Authorization"] = "Bearer " ..
    keys[counter % #keys + 1], ["Content-Type"] = "application/json"}, body)
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
