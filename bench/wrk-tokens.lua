-- wrk's script for the token benchmarks (bench/tokens, bench/cluster). It
-- counts good answers: a 200 whose body matches the mode's pattern.
-- Args: mode (static|mint|consume), then for consume the token id file and
-- the number of threads; each thread POSTs every THREADS-th id, once. For
-- mint, optionally a file and a count: each thread writes the ids it minted
-- to FILE.THREAD (0, 1, ...), one a line, and stops after COUNT. It prints
-- one line: RESULT requests= ok= bad= errors= exhausted= duration_us=
-- p50_us= p99_us=.
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("thread_id", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  ok, bad, exhausted = 0, 0, 0
  req = wrk.format()
  if mode == "mint" then
    want = '"tokenId"'
    if args[2] then
      out = io.open(args[2] .. "." .. thread_id, "w")
      wanted = tonumber(args[3])
    end
  elseif mode == "consume" then
    want = '"success"%s*:%s*true'
    ids, next_id = {}, 1
    local n, i = tonumber(args[3]), 0
    for line in io.lines(args[2]) do
      if i % n == thread_id and #line > 0 then
        ids[#ids + 1] = line
      end
      i = i + 1
    end
    head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" ..
      wrk.port .. "\r\nContent-Type: application/json\r\nContent-Length: "
  end
end

function request()
  if mode ~= "consume" then
    return req
  end
  local id = ids[next_id]
  if id == nil then
    -- Out of tokens: this answer will be a refusal, and the run is flagged.
    id = "exhausted"
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
  end
  next_id = next_id + 1
  local body = '{"tokenId":"' .. id .. '","streamId":"s1","type":"play"}'
  return head .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
  if status == 200 and (want == nil or string.find(body, want)) then
    ok = ok + 1
    if out then
      out:write(string.match(body, '"tokenId"%s*:%s*"([^"]+)"'), "\n")
      if ok >= wanted then
        out:close()
        out = nil
        wrk.thread:stop()
      end
    end
  else
    bad = bad + 1
    if bad == 1 then
      io.stderr:write("first bad answer: ", status, " ", body or "", "\n")
    end
  end
end

function done(summary, latency, requests)
  local good, refused, out = 0, 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    refused = refused + t:get("bad")
    out = out + t:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d ok=%d bad=%d errors=%d exhausted=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, good, refused, e.connect + e.read + e.write + e.timeout,
    out, summary.duration, latency:percentile(50), latency:percentile(99)))
end
