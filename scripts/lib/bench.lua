-- wrk script for scripts/bench, configured by environment variables:
--   BENCH_TOKEN    bearer token for the Authorization header (none when empty)
--   BENCH_IDS      a file whose "prop_…" IDs (e.g. the seed JSON) are picked at random
--   BENCH_PREFIX   path before the ID (e.g. /api/properties/), or the whole path without BENCH_IDS
--   BENCH_SUFFIX   path after the ID (optional)
--   BENCH_ACCEPT   Accept header (optional; PostgREST's single-object type)
--   BENCH_POST     "1": POST a new property to BENCH_PREFIX instead of GET
--   BENCH_PAYMENT  a file whose "lease_…" IDs (the ledger seed JSON) are paid into: POST a cash
--                  payment to BENCH_PREFIX for a random one, under a fresh Idempotency-Key
--   BENCH_KEY      with BENCH_PAYMENT: this Idempotency-Key and one body on every request
--                  (after the first, each is a replay)
local token = os.getenv("BENCH_TOKEN") or ""
local ids_file = os.getenv("BENCH_IDS") or ""
local prefix = os.getenv("BENCH_PREFIX") or "/"
local suffix = os.getenv("BENCH_SUFFIX") or ""
local accept = os.getenv("BENCH_ACCEPT") or ""
local post = os.getenv("BENCH_POST") == "1"
local payment_file = os.getenv("BENCH_PAYMENT") or ""
local fixed_key = os.getenv("BENCH_KEY") or ""

-- The quoted IDs with `prefix` ("prop_", "lease_") in `file`; none when `file` is empty.
local function ids_in(file, prefix)
  local found = {}
  if file == "" then return found end
  local f = assert(io.open(file, "r"))
  local text = f:read("*a")
  f:close()
  for id in string.gmatch(text, '"(' .. prefix .. '[%w]+)"') do
    found[#found + 1] = id
  end
  assert(#found > 0, "no " .. prefix .. " IDs in " .. file)
  return found
end

local ids = ids_in(ids_file, "prop_")
local leases = ids_in(payment_file, "lease_")
if #leases > 0 then post = false end

local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
if accept ~= "" then headers["Accept"] = accept end
if post or #leases > 0 then headers["Content-Type"] = "application/json" end

local counter = 0

function init(args)
  -- Different sequences in each wrk thread and run.
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function request()
  if #leases > 0 then
    counter = counter + 1
    local lease, amount = leases[1], 1000
    if fixed_key ~= "" then
      headers["Idempotency-Key"] = fixed_key
    else
      lease = leases[math.random(1, #leases)]
      amount = math.random(100, 50000)
      headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", math.random(1, 1000000000),
        counter, math.random(1, 1000000000))
    end
    local body = string.format(
      '{"leaseId":"%s","amount":{"amountMinor":%d,"currency":"CAD"},"method":"cash"}',
      lease, amount)
    return wrk.format("POST", prefix, headers, body)
  end
  if post then
    counter = counter + 1
    local body = string.format(
      '{"name":"Bench property %d-%d","type":"residential","address":{"line1":"%d Bench Street",' ..
      '"city":"Halifax","region":"NS","postalCode":"B3J 1A1","country":"CA"}}',
      math.random(1, 1000000000), counter, counter % 997 + 1)
    return wrk.format("POST", prefix, headers, body)
  end
  local path = prefix
  if #ids > 0 then
    path = prefix .. ids[math.random(1, #ids)] .. suffix
  end
  return wrk.format("GET", path, headers)
end
