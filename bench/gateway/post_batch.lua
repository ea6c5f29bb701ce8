-- wrk script: POST /api/v1/events/batch, 100 events per request, keep-alive.
--   wrk -t2 -c16 -d10s --latency -s bench/gateway/post_batch.lua http://127.0.0.1:PORT
local counter = 0
local prefix
local batch_size = 100

function setup(thread)
  counter = counter + 1
  thread:set("prefix", "b" .. counter)
end

function init(args)
  prefix = prefix or "b"
  n = 0
end

request = function()
  local events = {}
  for i = 1, batch_size do
    n = n + 1
    events[i] = string.format(
      '{"event_type":"order.placed","aggregate_type":"order","aggregate_id":"%s-%d",' ..
      '"data":{"order_id":%d,"customer":"c-%d","total_cents":1299,"currency":"EUR","items":3}}',
      prefix, n % 1000, n, n % 5000)
  end
  local body = '{"events":[' .. table.concat(events, ",") .. ']}'
  return wrk.format("POST", "/api/v1/events/batch", {["Content-Type"] = "application/json"}, body)
end
