#!/bin/sh
# make_fixtures.sh - rebuilds the Shapefile, SpatiaLite and GeoJSON import fixtures of this folder
# from src/ and ../../../../shared/data with independent tools: GDAL's ogr2ogr (gdal-bin 3.6) and
# SpatiaLite's own SQL (sqlite3 + mod_spatialite 5.0.1). A developer's tool: the tests read the
# committed outputs and need neither GDAL nor this script. See SOURCES.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED_DATA:-$here/../../../../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"

# 1. facility points, EPSG:4547, GBK (.cpg "GBK")
rm -f facilities_4547.*
ogr2ogr -f "ESRI Shapefile" facilities_4547.shp src/facilities.csv \
    -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo KEEP_GEOM_COLUMNS=NO \
    -s_srs EPSG:4326 -t_srs EPSG:4547 -lco ENCODING=GBK -nln facilities_4547

# 2. district polygons, EPSG:4490, UTF-8: GCJ-02 boundaries turned into WGS-84 (= CGCS2000 at
# this scale) and simplified. 汉南 has holes, 蔡甸 six parts, 新洲 two parts one with holes.
python3 src/gcj2wgs.py "$shared/wuhan_districts_gcj02.geojson" "$tmp/d.geojson" \
    420103,420113,420114,420117
rm -f districts_4490.*
ogr2ogr -f "ESRI Shapefile" districts_4490.shp "$tmp/d.geojson" -a_srs EPSG:4490 \
    -simplify 0.004 -lco ENCODING=UTF-8 -lco SHPT=POLYGON -nln districts_4490 \
    -sql "SELECT CAST(code AS character(12)) AS code, CAST(name AS character(30)) AS name FROM d"

# 3. district polygons, GeoJSON (WGS-84), five central districts
python3 src/gcj2wgs.py "$shared/wuhan_districts_gcj02.geojson" "$tmp/c.geojson" \
    420102,420104,420105,420106,420107
rm -f districts.geojson
ogr2ogr -f GeoJSON districts.geojson "$tmp/c.geojson" -simplify 0.004 \
    -lco COORDINATE_PRECISION=6 -lco RFC7946=YES -nln districts

# 4. a SpatiaLite file: facility points in EPSG:4490 (SRID 4490) and a table without geometry
rm -f facilities_4490.sqlite
sqlite3 facilities_4490.sqlite <<'SQL'
PRAGMA page_size = 512;
.load mod_spatialite
SELECT InitSpatialMetadata(1, 'NONE');
SELECT InsertEpsgSrid(4490);
CREATE TABLE facility (id INTEGER PRIMARY KEY, code TEXT, name TEXT, category TEXT,
                       address TEXT, beds INTEGER, rating REAL, photo BLOB);
SELECT AddGeometryColumn('facility', 'geom', 4490, 'POINT', 'XY');
INSERT INTO facility VALUES
 (1, 'S001', '江汉区社会福利院', '养老机构', '武汉市江汉区新华路218号', 120, 4.5, NULL,
  MakePoint(114.2712, 30.6012, 4490)),
 (2, 'S002', '硚口区救助管理站', 'relief_station', '武汉市硚口区解放大道35号', NULL, 0.1, NULL,
  MakePoint(114.245, 30.579, 4490)),
 (3, 'S003', '汉阳区日间照料中心', '日间照料中心', NULL, 30, NULL, NULL,
  MakePoint(114.255, 30.552, 4490)),
 (5, 'S005', '青山区婚姻登记处', 'marriage_registry', '武汉市青山区和平大道1218号', -7, 1e-300,
  NULL, MakePoint(114.385, 30.638, 4490)),
 (6, 'S006', '照片', 'hospital', '武汉市洪山区', 9007199254740993, 2.0, X'FFD8FFE0', 
  MakePoint(114.362, 30.519, 4490)),
 (7, 'S007', '没有位置', 'hospital', '武汉市江岸区', 1, 1.0, NULL, NULL);
CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT);
INSERT INTO note VALUES (1, 'a table without geometry');
SQL
sqlite3 facilities_4490.sqlite 'VACUUM'
ls -l facilities_4547.* districts_4490.* districts.geojson facilities_4490.sqlite
