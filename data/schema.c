/* schema.c - the store's schema, as numbered migrations. Never edit a migration that has
 * shipped: add the next one. The geometry column mirrors lon/lat for SpatiaLite users (and the
 * PostGIS backend to come); geod itself reads lon/lat. */
#include "data/schema.h"

static const char *const m1_sql[] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE category ("
    " id TEXT PRIMARY KEY,"
    " idx INTEGER NOT NULL UNIQUE CHECK (idx BETWEEN 0 AND 63),"
    " name_zh TEXT NOT NULL,"
    " name_en TEXT NOT NULL)",
    "INSERT INTO category (id, idx, name_zh, name_en) VALUES"
    " ('community_center', 0, '社区服务中心', 'Community service center'),"
    " ('street_office', 1, '街道办事处', 'Street office'),"
    " ('relief_station', 2, '救助管理站', 'Relief station'),"
    " ('shelter', 3, '应急避难场所', 'Emergency shelter'),"
    " ('hospital', 4, '医院', 'Hospital'),"
    " ('elderly_care', 5, '养老机构', 'Elderly care home'),"
    " ('elderly_daycare', 6, '日间照料中心', 'Elderly day care center'),"
    " ('welfare_enterprise', 7, '福利企业', 'Welfare enterprise'),"
    " ('marriage_registry', 8, '婚姻登记处', 'Marriage registry')",
    "CREATE TABLE facility ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 4294967295),"
    " category TEXT NOT NULL REFERENCES category (id),"
    " name TEXT NOT NULL CHECK (length(name) > 0),"
    " address TEXT,"
    " phone TEXT,"
    " hours TEXT,"
    " lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),"
    " lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),"
    " division_code TEXT,"
    " source TEXT NOT NULL,"
    " source_key TEXT,"
    " version INTEGER NOT NULL DEFAULT 1,"
    " created_by TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " updated_by TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)))",
    "CREATE UNIQUE INDEX facility_source_key ON facility (source, source_key)"
    " WHERE source_key IS NOT NULL",
    "CREATE INDEX facility_category ON facility (category)",
    "SELECT AddGeometryColumn('facility', 'geom', 4326, 'POINT', 'XY')",
    "SELECT CreateSpatialIndex('facility', 'geom')",
    "CREATE TABLE facility_audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " facility_id INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'revert')),"
    " actor TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " before TEXT,"
    " after TEXT)",
    "CREATE INDEX facility_audit_facility ON facility_audit (facility_id, seq)",
    NULL,
};

/* Divisions (区划): the NBS 2023 units of Wuhan, with boundaries where known. `approximate`
 * marks a boundary derived from centre points rather than surveyed; `boundary_source` says
 * where it came from. */
static const char *const m2_sql[] = {
    "CREATE TABLE division ("
    " code TEXT PRIMARY KEY CHECK (length(code) = 12),"
    " name TEXT NOT NULL CHECK (length(name) > 0),"
    " level TEXT NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),"
    " kind TEXT NOT NULL,"
    " parent TEXT,"
    " center_lon REAL CHECK (center_lon BETWEEN -180 AND 180),"
    " center_lat REAL CHECK (center_lat BETWEEN -90 AND 90),"
    " approximate INTEGER NOT NULL DEFAULT 0 CHECK (approximate IN (0, 1)),"
    " boundary_source TEXT,"
    " source TEXT NOT NULL,"
    " updated_at TEXT NOT NULL)",
    "CREATE INDEX division_parent ON division (parent)",
    "SELECT AddGeometryColumn('division', 'boundary', 4326, 'MULTIPOLYGON', 'XY')",
    "SELECT CreateSpatialIndex('division', 'boundary')",
    NULL,
};

/* Welfare enterprises (福利企业), keyed like facilities by (source, source_key), and the audit
 * log of the records that are not facilities (divisions and enterprises), keyed by text. */
static const char *const m3_sql[] = {
    "CREATE TABLE enterprise ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 4294967295),"
    " credit_code TEXT NOT NULL CHECK (length(credit_code) = 18),"
    " name TEXT NOT NULL CHECK (length(name) > 0),"
    " address TEXT,"
    " lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),"
    " lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),"
    " district_code TEXT CHECK (district_code IS NULL OR length(district_code) = 12),"
    " industry TEXT,"
    " disabled_employees INTEGER CHECK (disabled_employees IS NULL OR disabled_employees >= 0),"
    " certified_on TEXT,"
    " source TEXT NOT NULL,"
    " source_key TEXT NOT NULL,"
    " version INTEGER NOT NULL DEFAULT 1,"
    " created_by TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " updated_by TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)))",
    "CREATE UNIQUE INDEX enterprise_source_key ON enterprise (source, source_key)",
    "CREATE INDEX enterprise_credit_code ON enterprise (credit_code)",
    "SELECT AddGeometryColumn('enterprise', 'geom', 4326, 'POINT', 'XY')",
    "SELECT CreateSpatialIndex('enterprise', 'geom')",
    "CREATE TABLE record_audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " entity TEXT NOT NULL CHECK (entity IN ('division', 'enterprise')),"
    " entity_key TEXT NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),"
    " actor TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " before TEXT,"
    " after TEXT)",
    "CREATE INDEX record_audit_entity ON record_audit (entity, entity_key, seq)",
    NULL,
};

/* Accounts of community workers and admins, their sessions and the record of failed logins
 * (api/auth.c says how they are used). Secrets are never stored: password_hash is libsodium's
 * crypto_pwhash_str (argon2id, "$argon2id$v=19$..."), token_hash the 32-byte BLAKE2b of the
 * session or bearer token. Times the auth code computes with (session_*, login_failure) are
 * Unix seconds; created_at/updated_at are text like the other tables'. district is the 6-digit
 * county code a worker is limited to, or NULL. */
static const char *const m4_sql[] = {
    "CREATE TABLE app_user ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL UNIQUE CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
    " role TEXT NOT NULL CHECK (role IN ('worker', 'admin')),"
    " district TEXT CHECK (district IS NULL OR"
    "  (length(district) = 6 AND district NOT GLOB '*[^0-9]*')),"
    " password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),"
    " disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL)",
    "CREATE TABLE session ("
    " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
    " user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),"
    " csrf_token TEXT," /* cookie sessions: the value the client echoes; not a credential alone */
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL)",
    "CREATE INDEX session_user ON session (user_id)",
    "CREATE INDEX session_expires ON session (expires_at)",
    "CREATE TABLE login_failure ("
    " scope TEXT NOT NULL CHECK (scope IN ('address', 'account')),"
    " key TEXT NOT NULL,"
    " failures INTEGER NOT NULL CHECK (failures >= 0),"
    " first_at INTEGER NOT NULL,"
    " last_at INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (scope, key)) WITHOUT ROWID",
    NULL,
};

/* The content stamp: a random number that every committed change of what a snapshot is built
 * from (facilities, categories, divisions, enterprises) replaces, whoever makes it (geod, an
 * import, or the sqlite3 shell), in the change's own transaction. A snapshot file
 * (index/snapshot_file.h) records the stamp its records were read at and is used only while the
 * store still has it. */
static const char *const m5_sql[] = {
    "CREATE TABLE content_stamp (id INTEGER PRIMARY KEY CHECK (id = 1), stamp INTEGER NOT NULL)",
    "INSERT INTO content_stamp (id, stamp) VALUES (1, random())",
    "CREATE TRIGGER content_stamp_facility_i AFTER INSERT ON facility"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_facility_u AFTER UPDATE ON facility"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_facility_d AFTER DELETE ON facility"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_category_i AFTER INSERT ON category"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_category_u AFTER UPDATE ON category"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_category_d AFTER DELETE ON category"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_division_i AFTER INSERT ON division"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_division_u AFTER UPDATE ON division"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_division_d AFTER DELETE ON division"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_enterprise_i AFTER INSERT ON enterprise"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_enterprise_u AFTER UPDATE ON enterprise"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    "CREATE TRIGGER content_stamp_enterprise_d AFTER DELETE ON enterprise"
    " BEGIN UPDATE content_stamp SET stamp = random(); END",
    NULL,
};

const struct migration schema_migrations[] = {
    {"categories, facilities and their audit log", m1_sql},
    {"divisions and their boundaries", m2_sql},
    {"welfare enterprises and the audit log of divisions and enterprises", m3_sql},
    {"user accounts, sessions and failed logins", m4_sql},
    {"the content stamp of snapshot files", m5_sql},
};

const size_t schema_migration_count = sizeof schema_migrations / sizeof schema_migrations[0];
