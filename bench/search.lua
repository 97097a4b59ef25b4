-- wrk script: the console's customer search through the API, GET /v1/customers by one of
-- KT_SEARCH = phone | email | card | name | name_birth, for a random customer of the loaded base
-- (bench/synth.h: +7 916 0000000 .. N-1, user916NNNNNNN@example.com, card 2916NNNNNNNNN, a name
-- of 8 surnames x 8 first names x 2 genders - thousands of namesakes each, so a search by name
-- reads a page of them, 20 by default; name_birth narrows it by the birth date to about one).
-- Environment: KT_KEY (an admin key, as the console's marketer), KT_COUNT (customers loaded).
local key = os.getenv("KT_KEY")
local count = tonumber(os.getenv("KT_COUNT") or "1000000")
local kind = os.getenv("KT_SEARCH") or "phone"
local last = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов"}
local first_m = {"Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья"}
local first_f = {"Анна", "Мария", "Елена", "Дарья", "Алина", "Ирина", "Екатерина", "Ольга"}

local function urlencode(s)
  return (s:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function shift(h, n) return math.floor(h / 2 ^ n) end

-- synth_make()'s name and birth date of person i, typed as a till would: first name first.
local function person(i)
  local h = (i * 2654435761) % 4294967296
  local female = shift(h, 3) % 2 == 1
  local name = (female and first_f or first_m)[shift(h, 5) % 8 + 1] .. " " ..
    last[h % 8 + 1] .. (female and "а" or "")
  local birth = string.format("%04d-%02d-%02d", 1950 + shift(h, 12) % 55, 1 + shift(h, 18) % 12,
    1 + shift(h, 22) % 28)
  return name, birth
end

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  local i = math.random(0, count - 1)
  local q
  if kind == "email" then
    q = string.format("email=user916%07d%%40example.com", i)
  elseif kind == "card" then
    q = string.format("card=2916%09d", i)
  elseif kind == "name" or kind == "name_birth" then
    local name, birth = person(i)
    q = "full_name=" .. urlencode(name) .. (kind == "name_birth" and "&birth_date=" .. birth or "")
  else
    q = string.format("phone=%%2B7916%07d", i)
  end
  return wrk.format("GET", "/v1/customers?" .. q, {["Authorization"] = "Bearer " .. key})
end

done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
