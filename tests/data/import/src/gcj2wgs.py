#!/usr/bin/env python3
"""gcj2wgs.py IN.geojson OUT.geojson CODES - the features of IN whose adcode is in CODES (comma
separated), their GCJ-02 coordinates turned into WGS-84 by iterating the standard Krasovsky
formula (to below 1e-9 degrees), properties reduced to code (12 digits) and name."""
import json, math, sys

A, EE = 6378245.0, 0.00669342162296594323

def _tlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r

def _tlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r

def wgs2gcj(lon, lat):
    dlat, dlon = _tlat(lon - 105.0, lat - 35.0), _tlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (A / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat

def gcj2wgs(lon, lat):
    x, y = lon, lat
    for _ in range(30):
        gx, gy = wgs2gcj(x, y)
        dx, dy = lon - gx, lat - gy
        x, y = x + dx, y + dy
        if abs(dx) < 1e-10 and abs(dy) < 1e-10:
            break
    return round(x, 7), round(y, 7)

def walk(c):
    if isinstance(c[0], (int, float)):
        return list(gcj2wgs(c[0], c[1]))
    return [walk(p) for p in c]

src = json.load(open(sys.argv[1], encoding="utf-8"))
codes = [int(c) for c in sys.argv[3].split(",")]
feats = {f["properties"]["adcode"]: f for f in src["features"]}
out = {"type": "FeatureCollection", "features": []}
for code in codes:
    f = feats[code]
    g = f["geometry"]
    out["features"].append({"type": "Feature",
                            "properties": {"code": "%d000000" % code, "name": f["properties"]["name"]},
                            "geometry": {"type": g["type"], "coordinates": walk(g["coordinates"])}})
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
