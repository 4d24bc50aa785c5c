-- wrk script: GET one path, each request as the next shopper of a token file (one access token per
-- line), so the load is many users, not one. Prints one JSON line at the end.
--   wrk -t2 -c16 -d10s -s bench/get.lua http://127.0.0.1:PORT -- tokens.txt '/v1/me/sync'
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  requests = {}
  for token in io.lines(args[1]) do
    table.insert(requests, wrk.format("GET", args[2], { ["Authorization"] = "Bearer " .. token }))
  end
  next_request = id % #requests
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

-- One JSON line of figures at the end (bench/summary_line.lua); run from the repository root.
dofile("bench/summary_line.lua")
