-- One load stream for wrk (tests/bench/run.py starts it):
--
--   wrk -d SECONDS ... -s load.lua http://127.0.0.1:PORT -- RATE SENDING PATHS_FILE [BODY_FILE]
--
-- RATE      requests a second for each of wrk's threads, 0 for as many as the
--           connections can make (wrk's usual closed loop). A paced thread keeps to a
--           schedule, so a slow answer does not lower the rate asked for.
-- SENDING   seconds to send requests for, a little less than wrk's -d: in the time
--           left every request sent gets its answer before wrk stops, so that what
--           wrk counts is all that the server did.
-- PATHS_FILE one path a line, taken in turn.
-- BODY_FILE a form body to POST, whose "{n}" becomes a number unique to the request
--           (unique e-mail addresses); without it the stream GETs.
--
-- Every request comes from a different client address (X-Forwarded-For, read because
-- the server runs with REUNITE_TRUSTED_PROXIES=1), as a surge from many supporters does;
-- from one address the per-address limits would refuse nearly all of it.
-- At the end it prints one line, "bench-result " and a JSON object, for run.py.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local function read_lines(name)
  local lines = {}
  for line in io.lines(name) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

local function read_file(name)
  local file = assert(io.open(name, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  threads[#threads + 1] = thread
end

local rate, paths, body_template, stop_at
local next_at = nil
local counter, turn = 0, 0
statuses = {}

function init(args)
  rate = tonumber(args[1]) or 0
  stop_at = now() + (tonumber(args[2]) or 1e9)
  paths = read_lines(args[3])
  if args[4] and args[4] ~= "" then body_template = read_file(args[4]) end
  math.randomseed(os.time() * 1000 + id)
end

-- Milliseconds to wait before the next request: the next free slot of this thread's
-- schedule (none after SENDING). A thread that fell more than a second behind starts
-- afresh instead of catching up in a burst.
function delay()
  local t = now()
  if t >= stop_at then return 3600000 end
  if rate <= 0 then return 0 end
  if next_at == nil or next_at < t - 1 then next_at = t end
  next_at = next_at + 1 / rate
  local wait = next_at - t
  if wait <= 0 then return 0 end
  return math.floor(wait * 1000 + 0.5)
end

function request()
  turn = turn % #paths + 1
  local headers = {
    ["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254)
    ),
  }
  if body_template == nil then
    return wrk.format("GET", paths[turn], headers)
  end
  counter = counter + 1
  local n = string.format("%d-%d-%d", id, counter, math.random(0, 999999999))
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", paths[turn], headers, (body_template:gsub("{n}", n)))
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'bench-result {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"status_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    table.concat(parts, ", ")
  ))
end
