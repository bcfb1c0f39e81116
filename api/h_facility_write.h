/* h_facility_write.h - the facility write handlers (api/h_facility_write.c) and the history
 * (api/h_facility_history.c), called by api/h_facility.c's routing of /v1/facilities[/{id}[/…]]
 * with the id's text. Internal to api/. */
#ifndef GEOD_H_FACILITY_WRITE_H
#define GEOD_H_FACILITY_WRITE_H

#include "api/http.h"

#include <stddef.h>

void api_h_facility_create(struct api_req *r);
void api_h_facility_patch(struct api_req *r, const char *id, size_t idlen);
void api_h_facility_delete(struct api_req *r, const char *id, size_t idlen);
void api_h_facility_revert(struct api_req *r, const char *id, size_t idlen);
void api_h_facility_history(struct api_req *r, const char *id, size_t idlen);

#endif
