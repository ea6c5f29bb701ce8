-- wrk script: POST /api/v1/events, one event per request, each on an aggregate of its own
-- connection (so versions never contend across connections), keep-alive.
--   wrk -t2 -c64 -d10s --latency -s bench/gateway/post_event.lua http://127.0.0.1:PORT
local counter = 0
local prefix

function setup(thread)
  counter = counter + 1
  thread:set("prefix", "w" .. counter)
end

function init(args)
  prefix = prefix or "w"
  n = 0
end

request = function()
  n = n + 1
  local body = string.format(
    '{"event_type":"order.placed","aggregate_type":"order","aggregate_id":"%s-%d",' ..
    '"data":{"order_id":%d,"customer":"c-%d","total_cents":1299,"currency":"EUR","items":3}}',
    prefix, n % 1000, n, n % 5000)
  return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "application/json"}, body)
end
