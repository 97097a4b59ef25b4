-- wrk script: join submissions as phones' browsers make them (docs/pages.md, "The join form"):
-- GET /j/{code} for the form and its one-time token, then POST it back to the form's action
-- with the token and a filled form -> 302 to the code page, the code's SMS queued for the
-- gateway. Each wrk thread keeps the tokens its GETs brought; its next request is a POST when it
-- holds one, else a GET, so every connection alternates GET and POST and every token is spent
-- once (a token is the installation's, not a connection's). Spread as a chain's customers are,
-- so the pages' limits count at their defaults without refusing: the GETs take the join points
-- in turn (KT_JOIN_POINTS, codes separated by spaces; each under its 300 an hour), every POST
-- comes from a new client address (X-Forwarded-For 10.x.y.z, the server told to trust
-- 127.0.0.1 as its proxy) with a new phone, +7 999 R T NNNNN (R = KT_RUN, T = the wrk thread):
-- made up, never a real person's on purpose.
-- Environment: KT_JOIN_POINTS, KT_RUN (0-9, distinct phones and addresses in every run).
local points = {}
for c in (os.getenv("KT_JOIN_POINTS") or ""):gmatch("%S+") do
  table.insert(points, c)
end
local run = tonumber(os.getenv("KT_RUN") or "0")
local threads = {}

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local tokens, head, tail = {}, 1, 0
local counter, gets = 0, 0
submitted, formed, refused = 0, 0, 0 -- read by done() through thread:get
-- The rest of the form, as a customer fills it (attributes and a topic the bench declares).
local rest = "&website=&first_name=" .. enc("Анна") .. "&last_name=" .. enc("Петрова") ..
  "&birth_date=1991-03-08&email=anna%40example.org&gender=f&attr_pets=cat&attr_pets=dog" ..
  "&attr_car=true&topic=promo&ads_sms=1&pd_consent=1"

request = function()
  if head <= tail then
    local form = tokens[head]
    tokens[head] = nil
    head = head + 1
    counter = counter + 1
    local phone = string.format("+7999%d%d%05d", run, tid, counter)
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "kt-bench/1.0 (join)", ["X-Forwarded-For"] = string.format(
        "10.%d.%d.%d", run * 10 + tid, math.floor(counter / 256) % 256, counter % 256)}
    return wrk.format("POST", form.action, headers,
      "csrf=" .. enc(form.token) .. "&phone=" .. enc(phone) .. rest)
  end
  gets = gets + 1
  return wrk.format("GET", "/j/" .. points[(gets * 2 + tid) % #points + 1])
end

response = function(status, headers, body)
  if status == 200 then
    local action = body:match('<form method="post" action="([^"]+)"')
    local token = body:match('name="csrf" value="([^"]+)"')
    if action and token then
      tail = tail + 1
      tokens[tail] = {action = action, token = token}
      formed = formed + 1
    end
  elseif status == 302 then
    submitted = submitted + 1
  else
    refused = refused + 1
  end
end

local report = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
done = function(summary, latency, requests)
  local s, f, r = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("submitted")
    f = f + t:get("formed")
    r = r + t:get("refused")
  end
  io.write(string.format("JOIN submissions=%d subs_per_s=%.1f forms=%d refused=%d\n", s,
    s / (summary.duration / 1e6), f, r))
  report(summary, latency)
end
