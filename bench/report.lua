-- wrk script for the bench harness: sends one kind of request and prints one JSON line at the end.
--
--   wrk ... -s bench/report.lua URL -- MODE EXPECTED_STATUS COOKIE CSRF [ENCODING] [TASK_IDS]
--                                       [ADD_PATH]
--
-- MODE      get    - GET the URL's path (the page, a filter, a search, the hello app);
--           add    - POST a new task (title + csrfmiddlewaretoken) to the URL's path;
--           post   - POST the URL's path with the CSRF token alone (the floor rows of writes);
--           toggle - POST to /tasks/<id>/toggle/, cycling through TASK_IDS (comma-separated),
--                    each wrk thread starting at a different offset so rows are not contended;
--           mixed  - the soak: of every 10 requests, 7 GET the URL's path, 1 adds a task (POST to
--                    ADD_PATH) and 2 toggle one of TASK_IDS; 200 and 302 both count as expected.
-- EXPECTED  the status counted as success: 200 for pages, 302 (redirect after POST) for writes.
-- COOKIE    the Cookie header ("-" for none); CSRF the csrftoken value ("-" for none).
-- ENCODING  an Accept-Encoding header to send ("-" for none, as wrk does by default).
--
-- done() prints "BENCH_JSON {...}": requests, duration, latency percentiles (microseconds), wrk's
-- socket errors, and the number of responses whose status was not EXPECTED.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  table.insert(threads, thread)
end

local function arg_or_nil(value)
  if value == nil or value == "-" or value == "" then return nil end
  return value
end

function init(args)
  mode = args[1] or "get"
  expected = tonumber(args[2] or "200")
  local cookie = arg_or_nil(args[3])
  local csrf = arg_or_nil(args[4])
  local encoding = arg_or_nil(args[5])
  unexpected = 0
  non_2xx = 0
  counter = (thread_number or 1) * 7919

  if cookie then wrk.headers["Cookie"] = cookie end
  if encoding then wrk.headers["Accept-Encoding"] = encoding end
  if mode ~= "get" then
    if mode ~= "mixed" then wrk.method = "POST" end
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["X-CSRFToken"] = csrf
    wrk.headers["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port
  end
  add_body = "title=Benchmark+task&csrfmiddlewaretoken=" .. (csrf or "")
  token_body = "csrfmiddlewaretoken=" .. (csrf or "")
  add_path = args[7]
  ids = {}
  for id in string.gmatch(args[6] or "", "[^,]+") do table.insert(ids, id) end
  if mode == "add" then
    wrk.body = add_body
  elseif mode == "toggle" or mode == "post" then
    wrk.body = token_body
  end
  fixed_request = wrk.format()
end

local function toggle_request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("POST", "/tasks/" .. id .. "/toggle/", nil, token_body)
end

function request()
  if mode == "toggle" then return toggle_request() end
  if mode == "mixed" then
    counter = counter + 1
    local slot = counter % 10
    if slot == 0 then return wrk.format("POST", add_path, nil, add_body) end
    if slot <= 2 then return toggle_request() end
    return wrk.format("GET", wrk.path)
  end
  return fixed_request
end

function response(status, headers, body)
  local ok = status == expected or (mode == "mixed" and (status == 200 or status == 302))
  if not ok then unexpected = unexpected + 1 end
  if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
end

function done(summary, latency, requests)
  local bad, not_2xx = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    not_2xx = not_2xx + thread:get("non_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status_4xx_5xx": %d}, ' ..
    '"unexpected_status": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, bad, not_2xx))
end
