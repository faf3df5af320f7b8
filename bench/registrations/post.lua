-- bench/registrations/post.lua -- the wrk script of bench/registrations.sh.
--
--   wrk -t8 -c8 -d20s -s post.lua http://127.0.0.1:PORT -- MODE TOKENS TAG [HELD]
--
-- MODE "create": every request registers a new company, with a unique web domain
--   ("h<TAG>-<thread>-<n>.example") and a made-up name ("Kavoru Dime 3f9a2c11": random
--   syllables, so names spread over the name blocks like the pre-fill's, and a random hex
--   word so that no name is near another one), country US: every answer should be 201.
-- MODE "refuse": every request names an account that is already held, taken at random
--   from HELD (lines "web_domain<TAB>name<TAB>country"): every answer should be 409.
-- TOKENS is a file with one bearer token per line; thread k uses token k (round robin), so
-- with -t8 -c8 each of the 8 connections is a different partner user.
--
-- At the end it prints one line for the calling script (latencies in microseconds):
--   BENCHRESULT requests=... duration_us=... p50_us=... p99_us=... max_us=... s201=...
--     s409=... sother=... connect=... read=... write=... status=... timeout=...
-- and, when some answer was neither 201 nor 409, one example:  BENCHSAMPLE <status> <body>

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local out = {}
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if line ~= "" then
      out[#out + 1] = line
    end
  end
  f:close()
  return out
end

local consonants = "bcdfghjklmnprstvz"
local vowels = "aeiou"

local function word(syllables)
  local w = {}
  for i = 1, syllables do
    local c = math.random(#consonants)
    local v = math.random(#vowels)
    local cs = consonants:sub(c, c)
    if i == 1 then
      cs = cs:upper()
    end
    w[#w + 1] = cs .. vowels:sub(v, v)
  end
  return table.concat(w)
end

function init(args)
  mode = args[1]
  local tokens = read_lines(args[2])
  tag = args[3]
  if mode == "refuse" then
    held = read_lines(args[4])
    assert(#held > 0, "no held accounts in " .. args[4])
  elseif mode ~= "create" then
    error("mode must be create or refuse, not " .. tostring(mode))
  end
  assert(#tokens > 0, "no tokens in " .. args[2])
  local token = tokens[((tid - 1) % #tokens) + 1]
  math.randomseed(os.time() * 1000 + tid * 7919)
  n = 0
  c201, c409, cother = 0, 0, 0
  sample = ""
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local name, domain, country
  if mode == "create" then
    name = string.format("%s %s %08x", word(3), word(2), math.random(0, 2147483646))
    domain = string.format("h%s-%d-%d.example", tag, tid, n)
    country = "US"
  else
    domain, name, country = held[math.random(#held)]:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
  end
  local body = string.format(
    '{"account":{"name":"%s","web_domain":"%s","country":"%s"},"title":"Bench deal","estimated_arr_minor":1500000}',
    name, domain, country)
  return wrk.format("POST", "/api/v1/registrations", nil, body)
end

function response(status, headers, body)
  if status == 201 then
    c201 = c201 + 1
  elseif status == 409 then
    c409 = c409 + 1
  else
    cother = cother + 1
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local s201, s409, sother, example = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    s201 = s201 + (t:get("c201") or 0)
    s409 = s409 + (t:get("c409") or 0)
    sother = sother + (t:get("cother") or 0)
    local s = t:get("sample")
    if example == "" and s ~= nil and s ~= "" then
      example = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCHRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d s201=%d s409=%d sother=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    s201, s409, sother, e.connect, e.read, e.write, e.status, e.timeout))
  if example ~= "" then
    io.write("BENCHSAMPLE " .. (example:gsub("[\r\n]", " ")) .. "\n")
  end
end
