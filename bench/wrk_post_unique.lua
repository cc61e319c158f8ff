-- POST the same body with a fresh Idempotency-Key each time (so every request is new work),
-- and report like wrk_report.lua.
dofile("bench/wrk_report.lua")
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
local counter = 0
math.randomseed(os.time())
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("wrk-%d-%d", math.random(1, 1000000000), counter)
  return wrk.format("POST", wrk.path, wrk.headers, wrk.body)
end
