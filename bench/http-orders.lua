-- wrk script for bench/http.sh. MODE (environment) picks what each request is:
--   baseline  GET /health/live: a bare route of the same server, the HTTP ceiling here
--   sync      POST /orders, answered with the engine's verdict (201, or 422 with its reason)
--   async     POST /orders with Prefer: respond-async, answered 202 once the command is durable
--   mixed     70% placements, 10% cancels, 10% replaces of this connection's resting orders,
--             10% GET /orders/{id} (a placement when no order rests yet)
--   query     GET /orders?account=acct-N&limit=50, a random account's first page (of the orders
--             the runs before it left in the store)
-- Orders: ACCOUNTS accounts (500), eight symbols, limit prices within 20 ticks of 100.00 on
-- either side so that about half cross and trade, quantities 1-100, clientOrderIds unique per
-- RUN (set by the script) and per thread. done() prints one RESULT line of JSON.
local mode = os.getenv("MODE") or "sync"
local accounts = tonumber(os.getenv("ACCOUNTS") or "500")
local run = os.getenv("RUN") or tostring(os.time())
local symbols = { "AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM" }
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  placed = 0
  resting = {} -- ids of orders answered NEW, most recent last
  math.randomseed(tid * 7919 + os.time())
  headers = { ["Content-Type"] = "application/json" }
  if mode == "async" then
    headers["Prefer"] = "respond-async"
  end
end

local function place()
  placed = placed + 1
  local ticks = 10000 + math.random(-20, 20)
  local body = string.format(
    '{"account":"acct-%d","clientOrderId":"%s-%d-%d","symbol":"%s","side":"%s","type":"LIMIT",' ..
    '"timeInForce":"GTC","price":"%d.%02d","quantity":%d}',
    math.random(accounts), run, tid, placed, symbols[math.random(#symbols)],
    math.random(2) == 1 and "BUY" or "SELL", math.floor(ticks / 100), ticks % 100, math.random(100))
  return wrk.format("POST", "/orders", headers, body)
end

function request()
  if mode == "baseline" then
    return wrk.format("GET", "/health/live")
  end
  if mode == "query" then
    return wrk.format("GET", string.format("/orders?account=acct-%d&limit=50", math.random(accounts)))
  end
  if mode ~= "mixed" or #resting == 0 then
    return place()
  end
  local dice = math.random(10)
  if dice == 1 then
    return wrk.format("DELETE", "/orders/" .. table.remove(resting))
  elseif dice == 2 then
    return wrk.format("PATCH", "/orders/" .. resting[#resting], headers,
      string.format('{"quantity":%d}', math.random(100)))
  elseif dice == 3 then
    return wrk.format("GET", "/orders/" .. resting[math.random(#resting)])
  end
  return place()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if mode == "mixed" and status == 201 and body and string.find(body, '"status":"NEW"', 1, true) then
    local id = string.match(body, '"id":"([^"]+)"')
    if id then
      table.insert(resting, id)
      if #resting > 1000 then
        table.remove(resting, 1)
      end
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"mode":"%s","requests":%d,"seconds":%.3f,"rps":%.1f,"p50":%.3f,"p90":%.3f,"p99":%.3f,' ..
    '"p999":%.3f,"max":%.3f,"socket_errors":%d,"statuses":{%s}}\n',
    mode, summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ",")))
end
