-- wrk script for bench/http_compare.py: the request(s) to send, and a JSON summary on the last line.
-- The method and the body come from the environment (wrk passes no arguments to the script's top
-- level); headers are given with wrk's own -H.
--   BENCH_METHOD       the method (default GET)
--   BENCH_BODY_FILE    one fixed body, sent with every request
--   BENCH_BODIES_FILE  several bodies separated by NUL bytes: the requests cycle through them in
--                      order, one counter per wrk thread shared by its connections, starting at the
--                      first body in every wrk process (so two servers get the same sequence)
wrk.method = os.getenv("BENCH_METHOD") or "GET"

local function read_file(name)
  local handle = assert(io.open(name, "rb"))
  local content = handle:read("*a")
  handle:close()
  return content
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  wrk.body = read_file(body_file)
end

local bodies_file = os.getenv("BENCH_BODIES_FILE")
if bodies_file and bodies_file ~= "" then
  local bodies, content, start = {}, read_file(bodies_file), 1
  while start <= #content + 1 do
    local stop = string.find(content, "\0", start, true)
    if not stop then
      bodies[#bodies + 1] = string.sub(content, start)
      break
    end
    bodies[#bodies + 1] = string.sub(content, start, stop - 1)
    start = stop + 1
  end
  local formatted, next_index = {}, 0

  -- called by wrk.init once per thread, after the Host header is known: format every request once
  function init(args)
    for i, body in ipairs(bodies) do
      formatted[i] = wrk.format(nil, nil, nil, body)
    end
  end

  function request()
    next_index = next_index % #formatted + 1
    return formatted[next_index]
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
