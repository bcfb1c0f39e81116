/* h_tiles.c - GET /v1/tiles: the raster tile layer the /tag/ form may draw under its vector
 * layers (api/tiles.h), {"tiles": null} when none is configured. The form then works in the
 * tiles' coordinate system and geod converts: positions it shows come with out_crs, positions
 * it sends carry crs. */
#include "api/http.h"
#include "api/params.h"
#include "api/tiles.h"
#include "index/crs.h"

void api_h_tiles(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON; /* not geographic */
    const struct tile_config *t = r->th->tiles;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 1);
    enc_key(e, "tiles");
    if (!t || !t->on) {
        enc_null(e);
    } else {
        enc_map(e, 5);
        enc_key(e, "url");
        enc_cstr(e, t->url);
        enc_key(e, "crs");
        enc_cstr(e, crs_name(t->crs));
        enc_key(e, "subdomains");
        enc_cstr(e, t->subdomains);
        enc_key(e, "max_zoom");
        enc_uint(e, (uint64_t)t->max_zoom);
        enc_key(e, "attribution");
        enc_cstr(e, t->attribution);
        enc_end(e);
    }
    enc_end(e);
    api_send(r, 200);
}
