-- wrk script: another wrk script (KT_SCRIPT: lookup.lua, purchases.lua, events.lua) sent to
-- several servers at once, wrk's threads dealt round the ports of KT_PORTS ("8001,8002,...") on
-- 127.0.0.1, so that one wrk keeps one histogram of latencies over every server (bench/pg.sh:
-- 4 `kartoteka serve` over one PostgreSQL). Run wrk with a multiple of the ports' count as -t.
-- Environment: KT_SCRIPT, KT_PORTS, and whatever KT_SCRIPT reads.
dofile(os.getenv("KT_SCRIPT"))

local inner_setup = setup
local addrs = nil
local dealt = 0

setup = function(thread)
  if addrs == nil then
    addrs = {}
    for port in string.gmatch(os.getenv("KT_PORTS"), "%d+") do
      table.insert(addrs, wrk.lookup("127.0.0.1", port)[1])
    end
  end
  thread.addr = addrs[(dealt % #addrs) + 1]
  dealt = dealt + 1
  if inner_setup ~= nil then
    inner_setup(thread)
  end
end
