-- wrk script for the confirmation benchmark (see BENCHMARKS.md): every request confirms the
-- message as a different partner user, from tokens.txt and message.txt in the current folder.
local tokens = {}
for line in io.lines("tokens.txt") do tokens[#tokens + 1] = line end
local message = io.open("message.txt"):read("*l")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  counter = id
end

function request()
  -- threads interleave: thread i takes tokens i, i + 2, i + 4, ... (2 threads)
  local t = tokens[(counter % #tokens) + 1]
  counter = counter + 2
  return wrk.format("POST", "/api/v1/inbox/" .. message .. "/ack", { ["Authorization"] = "Bearer " .. t })
end
