-- wrk script for the bench harness: sends one kind of request and prints one JSON line at the end.
--
--   wrk ... -s bench/report.lua URL -- MODE EXPECTED_STATUS COOKIE CSRF [ENCODING] [TASK_IDS]
--                                       [ADD_PATH] [HEADERS] [USERS_FILE] [THREADS]
--
-- MODE      get    - GET the URL's path (the page, a filter, a search, the hello app);
--           add    - POST a new task (title + csrfmiddlewaretoken) to the URL's path;
--           post   - POST the URL's path with the CSRF token alone (the floor rows of writes);
--           toggle - POST to /tasks/<id>/toggle/, cycling through TASK_IDS (comma-separated),
--                    each wrk thread starting at a different offset so rows are not contended;
--           mixed  - the soak: of every 10 requests, 7 GET the URL's path, 1 adds a task (POST to
--                    ADD_PATH) and 2 toggle one of TASK_IDS; 200 and 302 both count as expected.
--           users-read  - each request the next user of USERS_FILE, GETting the URL's path as them;
--           users-mixed - the same, and of every 10 requests 8 GET the page, 1 adds a task and 1
--                    toggles one of that user's tasks; each user goes through all 10 in turn.
--           api-post     - POST a JSON task ({"title": ...}) to the URL's path (HEADERS authorize);
--           api-complete - POST /api/v1/tasks/<id>/complete, then on the next pass /reopen, through
--                    this thread's share of TASK_IDS (every THREADS-th), so each one is a write.
-- EXPECTED  the status counted as success: 200 for pages, 302 (redirect after POST) for writes.
-- COOKIE    the Cookie header ("-" for none); CSRF the csrftoken value ("-" for none).
-- ENCODING  an Accept-Encoding header to send ("-" for none, as wrk does by default).
-- HEADERS   more request headers, one "Name: value" a line (Authorization, If-None-Match).
-- USERS_FILE one user a line: Cookie header, csrftoken, list id, task ids (comma-separated),
--           separated by tabs. A 302 to the login page never counts as expected.
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
  local extra_headers = arg_or_nil(args[8])
  local users_file = arg_or_nil(args[9])
  local stride = tonumber(args[10] or "1")
  unexpected = 0
  non_2xx = 0
  counter = (thread_number or 1) * 7919

  if cookie then wrk.headers["Cookie"] = cookie end
  if encoding then wrk.headers["Accept-Encoding"] = encoding end
  for line in string.gmatch(extra_headers or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  users = {}
  if users_file then
    for line in io.lines(users_file) do table.insert(users, user_requests(line)) end
  end
  if string.sub(mode, 1, 4) == "api-" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    if mode == "api-post" then wrk.body = '{"title": "Benchmark task"}' end
  elseif mode ~= "get" and string.sub(mode, 1, 6) ~= "users-" then
    if mode ~= "mixed" then wrk.method = "POST" end
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["X-CSRFToken"] = csrf
    wrk.headers["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port
  end
  add_body = "title=Benchmark+task&csrfmiddlewaretoken=" .. (csrf or "")
  token_body = "csrfmiddlewaretoken=" .. (csrf or "")
  add_path = args[7]
  ids = {}
  local index = 0
  for id in string.gmatch(args[6] or "", "[^,]+") do
    -- api-complete: each thread its own tasks, so no other thread undoes its writes.
    if mode ~= "api-complete" or index % stride == (thread_number or 1) % stride then
      table.insert(ids, id)
    end
    index = index + 1
  end
  completes = 0
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

local function headers_with(values)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  for name, value in pairs(values) do headers[name] = value end
  return headers
end

-- One user's requests: the page and the add formatted once, a toggle's path made on each use.
function user_requests(line)
  local cookie, csrf, list_id, task_ids = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  local user = {ids = {}, next_id = 0}
  for id in string.gmatch(task_ids, "[^,]+") do table.insert(user.ids, id) end
  user.page = wrk.format("GET", wrk.path, headers_with({Cookie = cookie}))
  user.post_headers = headers_with({
    Cookie = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-CSRFToken"] = csrf,
    Origin = "http://" .. wrk.host .. ":" .. wrk.port,
  })
  user.token_body = "csrfmiddlewaretoken=" .. csrf
  user.add = wrk.format(
    "POST", "/lists/" .. list_id .. "/tasks/", user.post_headers,
    "title=Benchmark+task&" .. user.token_body)
  return user
end

local function user_request()
  counter = counter + 1
  local number = counter % #users
  local user = users[number + 1]
  -- Shifted by one every round of users, so each user goes through every slot in turn.
  local slot = (number + math.floor(counter / #users)) % 10
  if mode == "users-mixed" and slot == 0 then return user.add end
  if mode == "users-mixed" and slot == 1 then
    user.next_id = (user.next_id % #user.ids) + 1
    local path = "/tasks/" .. user.ids[user.next_id] .. "/toggle/"
    return wrk.format("POST", path, user.post_headers, user.token_body)
  end
  return user.page
end

local function complete_request()
  local id = ids[(completes % #ids) + 1]
  local action = math.floor(completes / #ids) % 2 == 0 and "/complete" or "/reopen"
  completes = completes + 1
  return wrk.format("POST", "/api/v1/tasks/" .. id .. action)
end

function request()
  if mode == "toggle" then return toggle_request() end
  if string.sub(mode, 1, 6) == "users-" then return user_request() end
  if mode == "api-complete" then return complete_request() end
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
  local ok = status == expected
  if mode == "mixed" or mode == "users-mixed" then
    local location = headers["Location"] or headers["location"] or ""
    ok = status == 200 or (status == 302 and not string.find(location, "/accounts/login", 1, true))
  end
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
