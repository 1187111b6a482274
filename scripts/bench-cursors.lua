-- wrk script: every request asks for a different page of the ticket list (a random cursor from
-- $IDS, default /tmp/tb/ids.txt), so no kept page is reused (issue 12's miss figures).
-- PAGE_PATH: the list's path and query (default the API list, 25 a page).
local ids = {}
for line in io.lines(os.getenv("IDS") or "/tmp/tb/ids.txt") do ids[#ids + 1] = line end
local path = os.getenv("PAGE_PATH") or "/api/v1/tickets?limit=25"
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", path .. "&cursor=" .. id)
end
