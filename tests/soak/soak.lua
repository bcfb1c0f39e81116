-- tests/soak/soak.lua - wrk's requests for the soak (tests/soak/run): random positions around
-- Wuhan over the public read endpoints, each request valid (so every answer must be 2xx).
-- wrk -s soak.lua URL -- FACILITIES SEED: ids 1..FACILITIES exist (a fresh built-in store).
-- done() prints one line "soak: {json}" with the counts and latency percentiles for the runner.

local facilities = 4327
local seed = 1
local threads = {}

local categories = {"community_center", "street_office", "relief_station", "shelter", "hospital",
                    "elderly_care", "elderly_daycare", "welfare_enterprise", "marriage_registry"}
local crss = {"wgs84", "wgs84", "gcj02", "bd09", "cgcs2000"}
local queries = {"jhq", "huangpi", "hp", "jiang%20han", "%E6%B1%9F%E6%B1%89", "wuchang", "hongshan",
                 "%E7%A4%BE%E5%8C%BA", "zhuankou", "zhashan", "dhh", "qingshan"}
local enterprise_q = {"kangle", "%E5%8D%B0%E5%88%B7", "fuli", "kl", "%E6%AD%A6%E6%B1%89"}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  facilities = tonumber(args[1]) or facilities
  seed = tonumber(args[2]) or seed
  math.randomseed(seed * 1000 + (id or 0))
end

local function pick(t) return t[math.random(#t)] end

-- a position around Wuhan (lon 113.7..115.1, lat 29.97..31.37), mostly in the centre
local function position()
  local lon, lat
  if math.random() < 0.7 then
    lon = 114.30 + (math.random() - 0.5) * 0.3
    lat = 30.59 + (math.random() - 0.5) * 0.25
  else
    lon = 113.7 + math.random() * 1.4
    lat = 29.97 + math.random() * 1.4
  end
  return string.format("lon=%.6f&lat=%.6f", lon, lat)
end

local function category_list()
  local n, seen, out = math.random(3), {}, {}
  for _ = 1, n do
    local c = pick(categories)
    if not seen[c] then seen[c] = true; table.insert(out, c) end
  end
  return table.concat(out, ",")
end

local function nearby()
  local p = "/v1/nearby?" .. position() .. "&k=" .. math.random(1, 50)
  local r = math.random()
  if r < 0.4 then p = p .. "&category=" .. category_list() end
  if math.random() < 0.3 then p = p .. "&radius=" .. math.random(100, 20000) end
  if math.random() < 0.3 then p = p .. "&crs=" .. pick(crss) end
  if math.random() < 0.2 then p = p .. "&format=msgpack" end
  return p
end

local function bbox()
  local lon = 114.0 + math.random() * 0.7
  local lat = 30.3 + math.random() * 0.6
  local w, z
  if math.random() < 0.5 then
    w = 0.05 + math.random() * 0.25; z = math.random(10, 13)   -- clusters
  else
    w = 0.005 + math.random() * 0.01; z = math.random(14, 18)  -- single facilities
  end
  local p = string.format("/v1/bbox?bbox=%.6f,%.6f,%.6f,%.6f&zoom=%d", lon, lat, lon + w,
                          lat + w * 0.8, z)
  if math.random() < 0.3 then p = p .. "&category=" .. category_list() end
  return p
end

local makers = {
  {25, nearby},
  {20, function() return "/v1/shake?" .. position() .. (math.random() < 0.3 and "&format=msgpack" or "") end},
  {10, function() return "/v1/places/reverse?" .. position() end},
  {10, function() return "/v1/within?" .. position() .. "&radius=" .. math.random(100, 5000) ..
                        "&limit=" .. math.random(1, 100) end},
  {8, function() return "/v1/places/search?q=" .. pick(queries) .. "&limit=" .. math.random(1, 20) end},
  {10, bbox},
  {10, function() return "/v1/facilities/" .. math.random(1, facilities) end},
  {4, function()
    if math.random() < 0.5 then return "/v1/enterprises?q=" .. pick(enterprise_q) .. "&limit=10" end
    return "/v1/enterprises?" .. position() .. "&radius=" .. math.random(500, 10000) .. "&limit=10"
  end},
  {2, function() return "/v1/categories" end},
  {1, function() return "/v1/convert?" .. position() .. "&from=wgs84&to=" .. pick({"gcj02", "bd09", "EPSG:4547"}) end},
}
local total = 0
for _, m in ipairs(makers) do total = total + m[1] end

function request()
  local r = math.random() * total
  for _, m in ipairs(makers) do
    r = r - m[1]
    if r <= 0 then return wrk.format("GET", m[2]()) end
  end
  return wrk.format("GET", nearby())
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'soak: {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
