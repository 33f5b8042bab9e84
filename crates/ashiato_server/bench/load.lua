-- wrk script for load.sh (beside it): one logged-in member per request, rotating.
--
-- The run is described by a small Lua file named in $LOAD_CONF, written by load.sh:
--   return {
--     mode   = "cookie" | "ksid" | "none", -- session in the ashiato_session cookie, in ?ksid=
--                                  -- (docomo), or no session (hello world)
--     tokens = { "...", ... },      -- session tokens of logged-in members
--     paths  = { "/home" } or { "/diary/17", "/diary/42", ... },
--     headers = { ["User-Agent"] = "...", Host = "127.0.0.1:PORT", ... },
--     threads = 2,                  -- wrk -t, so each thread takes every threads-th request
--     offset = 0,                   -- where this run starts in the (token, path) sequence
--     delay_ms = 0,                 -- > 0: pause before each request (a rate-limited run)
--   }
--
-- Request number n (counted over all wrk threads) uses path n % #paths and token
-- (n / #paths) % #tokens: consecutive requests go to different pages (a mixed list stays mixed)
-- and every (visitor, path) pair comes up once before any repeats.
-- That matters for the diary page: the server drops a repeat footstep by the same visitor to the
-- same owner within five minutes, so a run that hammered one pair would write almost nothing.
--
-- Every response that is not 2xx is counted (wrk itself only counts >= 400 as an error, and a
-- 303 to /login would mean the session was lost); done() prints one RESULT line for load.sh.

local conf = dofile(os.getenv("LOAD_CONF"))

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

function init(args)
   n = conf.offset + id
   stride = conf.threads
   not_2xx = 0
end

local ntokens = #conf.tokens
local npaths = #conf.paths

function request()
   local p = n % npaths
   local t = math.floor(n / npaths) % ntokens
   n = n + stride
   local headers = {}
   for k, v in pairs(conf.headers) do
      headers[k] = v
   end
   local path = conf.paths[p + 1]
   if conf.mode == "ksid" then
      path = path .. "?guid=ON&ksid=" .. conf.tokens[t + 1]
   elseif conf.mode == "cookie" then
      headers["Cookie"] = "ashiato_session=" .. conf.tokens[t + 1]
   end
   return wrk.format("GET", path, headers)
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      not_2xx = not_2xx + 1
   end
end

if conf.delay_ms and conf.delay_ms > 0 then
   function delay()
      return conf.delay_ms
   end
end

function done(summary, latency, requests)
   -- next: the first request number no thread has used, where the next run may start.
   local bad, next = 0, 0
   for _, t in ipairs(threads) do
      bad = bad + t:get("not_2xx")
      next = math.max(next, t:get("n"))
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d seconds=%.2f rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f " ..
      "errors=%d connect=%d read=%d write=%d timeout=%d status_ge_400=%d non_2xx=%d bytes=%d " ..
      "next=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
      e.status, bad, summary.bytes, next))
end
