-- wrk script for the ticket-creation benchmark (BENCHMARKS.md, issue 12): every request raises
-- a marketing ticket as the partner user whose bearer token is in p1.tok (current folder).
local token = io.open("p1.tok"):read("*l")
local n = 0
function request()
  n = n + 1
  local body = '{"kind":"marketing","priority":"normal","subject":"压测工单 ' .. n ..
    '：展会样机不足","description":"下周展会需要 5 台样机，请协助调配。"}'
  return wrk.format("POST", "/api/v1/tickets",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
