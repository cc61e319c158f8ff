-- Checkout once per prepared cart: customer i's token is line i of WRK_TOKENS_FILE. Each
-- request is POST /api/v1/cart/checkout for the next customer with a fresh key; after
-- every cart has been answered the thread stops, so the figures cover checkouts only.
dofile("bench/wrk_report.lua")
local tokens = {}
for line in io.lines(os.getenv("WRK_TOKENS_FILE")) do
  tokens[#tokens + 1] = line
end
local sent, answered = 0, 0
request = function()
  sent = sent + 1
  local token = tokens[((sent - 1) % #tokens) + 1]
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("wrk-%d-%d", os.time(), sent),
  }
  return wrk.format("POST", "/api/v1/cart/checkout", headers, "")
end
response = function(status, headers, body)
  answered = answered + 1
  if answered >= #tokens then
    wrk.thread:stop()
  end
end
