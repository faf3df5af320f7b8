-- bench/pipeline/get.lua -- the wrk script of bench/pipeline.sh.
--
--   wrk -t8 -c8 -d15s -s get.lua http://127.0.0.1:PORT -- TOKEN PATHS
--
-- Every request is a GET with "Authorization: Bearer TOKEN" of the next path of PATHS (a
-- file with one path and query per line), each thread starting at a different line, so
-- the run spreads over partners, stages, months and cursors instead of repeating one URL.
--
-- At the end it prints one line for the calling script (latencies in microseconds):
--   BENCHRESULT requests=... duration_us=... p50_us=... p95_us=... p99_us=... max_us=...
--     s200=... sother=... connect=... read=... write=... status=... timeout=...
-- and, when some answer was not 200, one example:  BENCHSAMPLE <status> <body>

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local token = args[1]
  paths = {}
  local f = assert(io.open(args[2], "r"))
  for line in f:lines() do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  f:close()
  assert(#paths > 0, "no paths in " .. args[2])
  i = (tid * 7919) % #paths
  c200, cother = 0, 0
  sample = ""
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status == 200 then
    c200 = c200 + 1
  else
    cother = cother + 1
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local s200, sother, example = 0, 0, ""
  for _, t in ipairs(threads) do
    s200 = s200 + (t:get("c200") or 0)
    sother = sother + (t:get("cother") or 0)
    local s = t:get("sample")
    if example == "" and s ~= nil and s ~= "" then
      example = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCHRESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d s200=%d sother=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, s200, sother, e.connect, e.read, e.write, e.status,
    e.timeout))
  if example ~= "" then
    io.write("BENCHSAMPLE " .. (example:gsub("[\r\n]", " ")) .. "\n")
  end
end
