/* err.c - descriptions for enum geod_err. */
#include "index/err.h"

const char *geod_strerror(enum geod_err err)
{
    switch (err) {
    case GEOD_OK:
        return "ok";
    case GEOD_ENOMEM:
        return "out of memory";
    case GEOD_EINVAL:
        return "invalid argument";
    case GEOD_ERANGE:
        return "value out of range";
    case GEOD_ENOTFOUND:
        return "not found";
    case GEOD_EIO:
        return "input/output error";
    case GEOD_ESTORE:
        return "store error";
    case GEOD_ECORRUPT:
        return "corrupt data";
    case GEOD_ECRS:
        return "coordinate conversion failed";
    case GEOD_ESYS:
        return "system call failed";
    }
    return "unknown error";
}
