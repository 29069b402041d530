-- wrk script of bench/server/suite.sh: GET $BENCH_PATH with `Authorization: Bearer <key>`,
-- rotating through the API keys in $BENCH_KEYS (one per line). The requests are formatted once
-- per thread, so the per-request Lua cost is an index increment (the same for both targets).
-- done() prints one line "BENCH_JSON {...}" with the counts and latency percentiles.

local path = os.getenv("BENCH_PATH") or "/v1/data"
local keys_file = os.getenv("BENCH_KEYS")
local requests = {}
local next_index = 1

local function load_keys()
  local keys = {}
  for line in io.lines(keys_file) do
    if #line > 0 then keys[#keys + 1] = line end
  end
  return keys
end

local threads_seen = 0

-- Runs in the main Lua state, once per thread, before init().
function setup(thread)
  thread:set("thread_id", threads_seen)
  threads_seen = threads_seen + 1
end

function init(_)
  for i, key in ipairs(load_keys()) do
    requests[i] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
  end
  -- Threads start at different keys so they do not walk the list in lockstep.
  next_index = ((thread_id or 0) * 499) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > #requests then next_index = 1 end
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
