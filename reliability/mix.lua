-- wrk script for reliability/load.py: a weighted mix of requests; the latency and status of each, per kind.
--
-- Run with as many threads as connections (wrk -tN -cN): each wrk thread then drives one
-- connection, so its responses come back in the order of its requests and each answer is paired
-- with the request that got it. (wrk's own latency histogram, handed to done(), is not the
-- requests' latencies: wrk 4.x adds synthetic samples to it for every slow answer, its
-- correction for coordinated omission; mix.lua times every request itself.)
--
-- Arguments (after wrk's `--`, given as name=value):
--   mix=FILE  the requests, one per line, six tab-separated fields, each percent-encoded:
--             kind  weight  method  path  headers  body
--             (headers: "Name: value" lines joined by "\n"; weight: the kind's, the same on each of its lines;
--             an empty body is no body)
--   seed=N    the seed of the draws (a positive integer)
--
-- Each request() draws a kind by weight, then one of the kind's requests, uniformly, from a
-- Park-Miller generator seeded with seed and the wrk thread's number: the same sequence of draws
-- in every run with the same seed, on any machine (no math.random). wrk's threads have separate
-- Lua states, so done() collects each thread's counts and latencies through the thread objects
-- setup() kept, and prints one JSON line: wrk_report.lua's keys (bench/wrk.py's summarize() reads
-- them; "latency_us" is wrk's corrected histogram) plus "sent" (requests per kind) and "measured":
-- per kind and for all, the answers per status and the latency percentiles in microseconds.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } kg_load_timespec;
int clock_gettime(int clock, kg_load_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("kg_load_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local threads = {}

-- main state: called once per thread, before that thread's init()
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

local function decode(text)
  return (string.gsub(text, "%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

local function option(args, name)
  for _, arg in pairs(args) do
    local value = string.match(arg, "^" .. name .. "=(.*)$")
    if value then
      return value
    end
  end
  return nil
end

local kinds = {}   -- in file order: {name=, weight=, upto=, requests={raw HTTP request, ...}}
local total_weight = 0
local state = 1    -- the generator's state, in [1, 2^31 - 2]
local pending, started = nil, 0  -- the kind of the request in flight on this thread's connection, and when

-- 16807 * (2^31 - 2) < 2^53: exact in Lua's doubles
local function draw(n)
  state = (state * 16807) % 2147483647
  return state % n
end

-- globals, read by done() with thread:get, which copies flat tables only (a nested one makes wrk panic)
sent = {}       -- kind -> requests drawn (a request redrawn after a reconnection counts again)
statuses = {}   -- "kind status" -> answers
latencies = {}  -- {kind's number * 1e9 + whole microseconds, ...}: one answer each
unpaired = 0    -- answers with no request in flight: more than one connection per thread
kind_names = {} -- kind's number -> name
local SPAN = 1e9  -- microseconds (1,000 s) below one kind's number; exact in a double for any kind

function init(args)
  local mix = assert(option(args, "mix"), "mix.lua needs mix=FILE after --")
  local seed = tonumber(option(args, "seed") or "1")
  state = (seed * 7919 + (thread_number or 1) * 104729) % 2147483646 + 1
  local by_name = {}
  for line in io.lines(mix) do
    if line ~= "" then
      local fields = {}
      for field in string.gmatch(line .. "\t", "([^\t]*)\t") do
        fields[#fields + 1] = decode(field)
      end
      assert(#fields == 6, "mix.lua: a line of " .. mix .. " has " .. #fields .. " fields, not 6")
      local name, weight, method, path, header_lines, body = unpack(fields)
      local headers = {}
      for header in string.gmatch(header_lines, "[^\n]+") do
        local key, value = string.match(header, "^([^:]+):%s*(.*)$")
        headers[key] = value
      end
      local kind = by_name[name]
      if not kind then
        kind = {name = name, weight = tonumber(weight), requests = {}}
        by_name[name] = kind
        kinds[#kinds + 1] = kind
      end
      kind.requests[#kind.requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
    end
  end
  for number, kind in ipairs(kinds) do
    total_weight = total_weight + kind.weight
    kind.upto, kind.number = total_weight, number
    sent[kind.name] = 0
    kind_names[number] = kind.name
  end
  assert(total_weight > 0, "mix.lua: no request has a positive weight in " .. mix)
end

function request()
  local point = draw(total_weight)
  for _, kind in ipairs(kinds) do
    if point < kind.upto then
      sent[kind.name] = sent[kind.name] + 1
      pending, started = kind, now_us()
      return kind.requests[draw(#kind.requests) + 1]
    end
  end
end

function response(status, headers, body)
  if not pending then
    unpaired = unpaired + 1
    return
  end
  local took = math.min(math.floor(now_us() - started + 0.5), SPAN - 1)
  local key = pending.name .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
  latencies[#latencies + 1] = pending.number * SPAN + took
  pending = nil
end

-- done() runs in the main state ----------------------------------------------------------------

local function json_counts(counts)
  local names = {}
  for name in pairs(counts) do
    names[#names + 1] = name
  end
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, name in ipairs(names) do
    parts[#parts + 1] = string.format('"%s": %d', tostring(name), counts[name])
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- nearest rank on a sorted list
local function rank(sorted, p)
  local index = math.ceil(p / 100 * #sorted)
  return sorted[math.max(1, math.min(#sorted, index))]
end

local function json_latency(times, counts)
  table.sort(times)
  local sum = 0
  for _, took in ipairs(times) do
    sum = sum + took
  end
  if #times == 0 then
    return string.format('{"answers": 0, "statuses": %s}', json_counts(counts))
  end
  return string.format(
    '{"answers": %d, "statuses": %s, "mean": %.1f, "p50": %.1f, "p90": %.1f, "p99": %.1f, "p99.9": %.1f, ' ..
    '"max": %.1f}', #times, json_counts(counts), sum / #times, rank(times, 50), rank(times, 90), rank(times, 99),
    rank(times, 99.9), times[#times])
end

function done(summary, latency, requests)
  local all_sent, by_kind, all_times, all_counts, all_unpaired = {}, {}, {}, {}, 0
  for _, thread in ipairs(threads) do
    for name, count in pairs(thread:get("sent")) do
      all_sent[name] = (all_sent[name] or 0) + count
      by_kind[name] = by_kind[name] or {counts = {}, times = {}}
    end
  end
  local names = {}
  for name in pairs(by_kind) do
    names[#names + 1] = name
  end
  table.sort(names)
  for _, thread in ipairs(threads) do
    local numbered = thread:get("kind_names")
    for key, count in pairs(thread:get("statuses")) do
      local name, status = string.match(key, "^(.*) (%d+)$")
      status = tonumber(status)
      by_kind[name].counts[status] = (by_kind[name].counts[status] or 0) + count
      all_counts[status] = (all_counts[status] or 0) + count
    end
    for _, value in ipairs(thread:get("latencies")) do
      local number = math.floor(value / SPAN)
      local took = value - number * SPAN
      local times = by_kind[numbered[number]].times
      times[#times + 1] = took
      all_times[#all_times + 1] = took
    end
    all_unpaired = all_unpaired + thread:get("unpaired")
  end
  local parts = {}
  for _, name in ipairs(names) do
    parts[#parts + 1] = string.format('"%s": %s', name, json_latency(by_kind[name].times, by_kind[name].counts))
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}, "sent": %s, ' ..
    '"measured": {"threads": %d, "unpaired": %d, "all": %s, "kinds": {%s}}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    json_counts(all_sent), #threads, all_unpaired, json_latency(all_times, all_counts), table.concat(parts, ", ")))
end
