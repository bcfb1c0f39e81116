/* main.c - the geod binary: reads the subcommand and hands over. Every failure ends in one line
 * on stderr naming the problem and a non-zero exit (2 for usage, 1 for everything else). */
#include "geod/geod.h"

#include <stdio.h>
#include <string.h>

#ifndef GEOD_VERSION
#define GEOD_VERSION "unknown"
#endif

static const char usage[] =
    "usage: geod COMMAND [OPTIONS]\n"
    "\n"
    "geod answers \"where am I and what is near me\" for Wuhan's civil-affairs services.\n"
    "\n"
    "commands:\n"
    "  serve --db PATH --listen HOST:PORT [--threads N] [--auth NAME=VALUE]...\n"
    "        [--cors-origin ORIGIN]...\n"
    "        serve the HTTP API from the store at PATH; a missing store is created and\n"
    "        loaded with the built-in Wuhan data (defaults: --db geod.sqlite,\n"
    "        --listen 127.0.0.1:8080, --threads = number of CPUs); --auth sets a session or\n"
    "        login-throttling setting (geod serve --auth help lists them);\n"
    "        [--access-log PATH [--access-log-days N]] writes one JSON line per request,\n"
    "        positions rounded to ~1 km, a file per day kept N days (30);\n"
    "        [--rate-limit RATE[,BURST]] per client address (100,200; 0: none), with\n"
    "        [--trusted-proxy ADDR[/PREFIX]]... whose X-Forwarded-For is believed;\n"
    "        [--cors-origin ORIGIN]... lets the pages of a portal (https://portal.example.cn)\n"
    "        read the API and the map widget's assets from another origin (and frame it);\n"
    "        [--tls-cert FILE --tls-key FILE] serves HTTPS (PEM certificate chain and key);\n"
    "        [--log-level error|warn|info|debug] [--log-format text|json] for stderr;\n"
    "        [--tile-url TEMPLATE [--tile-crs wgs84|gcj02] [--tile-subdomains abc]\n"
    "        [--tile-attribution TEXT] [--tile-max-zoom Z]] a tile layer for the /tag/ form;\n"
    "        [--delta-max N] facility edits kept as a delta over the index before it is\n"
    "        rebuilt in the background (the square root of the facilities, 64 to 1024);\n"
    "        [--snapshot-file PATH|off] the built index, mapped at start while the store is\n"
    "        unchanged, written after a build from the store (DB.snap);\n"
    "        [--config FILE] reads `option = value` lines (the long options above);\n"
    "        the command line overrides the file\n"
    "  import FILE --db PATH [--kind facility|division|enterprise] [--format F] [--crs C]\n"
    "        [--encoding E] [--table T] [--category C] [--map COL=FIELD]... [--source NAME]\n"
    "        [--report FILE] [--dry-run] [--skip-bad] [--delete-missing]\n"
    "        a feed (CSV, GeoJSON, Shapefile, SpatiaLite table) into the store, as one\n"
    "        transaction; a running server picks it up by itself\n"
    "  user add NAME --role worker|admin [--district CODE] --db PATH   (password on stdin)\n"
    "  user list --db PATH | user disable NAME --db PATH | user enable NAME --db PATH\n"
    "        the accounts that may log in (POST /v1/login) and edit facilities\n"
    "  --help     this text\n"
    "  --version  the version\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("geod %s\n", GEOD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0)
        return geod_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "import") == 0)
        return geod_import(argc - 2, argv + 2);
    if (strcmp(cmd, "user") == 0)
        return geod_user(argc - 2, argv + 2);
    fprintf(stderr, "geod: unknown command %s (geod --help lists them)\n", cmd);
    return 2;
}
