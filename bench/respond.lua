-- wrk script: sends each prepared public survey response once (jobs file lines: path \t body),
-- spread over the threads, without credentials. A thread that runs out says so (`exhausted`).
--   wrk -t2 -c16 -d8s -s bench/respond.lua http://127.0.0.1:PORT -- jobs.tsv 2
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  jobs = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % tonumber(args[2]) == id then
      local path, body = line:match("([^\t]*)\t(.*)")
      table.insert(jobs, wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body))
    end
    n = n + 1
  end
  next_job = 1
  accepted = 0
  exhausted = 0
end

function request()
  local req = jobs[next_job]
  if req == nil then
    exhausted = 1
    return wrk.format("GET", "/healthz")
  end
  next_job = next_job + 1
  return req
end

function response(status, headers, body)
  if status == 201 then
    accepted = accepted + 1
  end
end

function done(summary, latency, requests)
  local ok, ran_out = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    ran_out = ran_out + thread:get("exhausted")
  end
  io.write(string.format(
    '{"seconds": %.3f, "requests": %d, "accepted": %d, "non_2xx": %d, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "exhausted": %s}\n',
    summary.duration / 1e6, summary.requests, ok, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    tostring(ran_out > 0)))
end
