/* err.h - the one error type of geod: every fallible function returns an enum geod_err
 * and hands its results through out-parameters. GEOD_OK is 0 so `if (rc)` reads as "failed". */
#ifndef GEOD_ERR_H
#define GEOD_ERR_H

enum geod_err {
    GEOD_OK = 0,
    GEOD_ENOMEM,    /* an allocation failed */
    GEOD_EINVAL,    /* an argument is outside its domain (non-finite, out of range, malformed) */
    GEOD_ERANGE,    /* a value is well-formed but outside the supported range */
    GEOD_ENOTFOUND, /* the thing asked for does not exist */
    GEOD_EIO,       /* reading or writing a file failed */
    GEOD_ESTORE,    /* the store (SQLite/SpatiaLite) reported an error */
    GEOD_ECORRUPT,  /* stored data violates an invariant */
    GEOD_ECRS,      /* a coordinate conversion failed or the system is unknown */
    GEOD_ESYS,      /* a system call failed (see errno) */
};

/* A static English description of `err`; never NULL. */
const char *geod_strerror(enum geod_err err);

#endif
