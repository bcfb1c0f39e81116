/* auth_crypto.h - the secrets of accounts, all through libsodium: password hashes (argon2id,
 * crypto_pwhash_str), random tokens (randombytes_buf), the hash a token is stored under
 * (BLAKE2b-256) and constant-time comparison. Nothing here logs or keeps a secret.
 *
 * Cost. Hashes are made with OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (64 MiB, ~0.1 s),
 * except when the environment has GEOD_KDF_COST=min: then with the library's minimum cost, for
 * tests only (a hash says its own cost, so verification needs no setting; geod warns on
 * stderr whenever it is set). */
#ifndef GEOD_AUTH_CRYPTO_H
#define GEOD_AUTH_CRYPTO_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_PW_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 43    /* base64url of 32 bytes, no padding */
#define AUTH_TOKEN_HASH_LEN 32

/* Initialises libsodium (idempotent, thread-safe). GEOD_ESYS when it cannot. */
enum geod_err auth_crypto_init(void);

/* True when GEOD_KDF_COST=min weakens new hashes. */
bool auth_crypto_weak(void);

/* An argon2id hash string of pw[0..len) into out (NUL-terminated). GEOD_ENOMEM when the KDF
 * cannot get its memory. */
enum geod_err auth_pw_hash(const char *pw, size_t len, char out[AUTH_PW_HASH_MAX]);

/* Whether pw matches the hash string (false for a malformed hash). Costs as much as hashing. */
bool auth_pw_verify(const char *hash, const char *pw, size_t len);

/* A new random token: 32 bytes as base64url without padding, NUL-terminated. */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* Whether s[0..len) has the shape of a token (43 base64url characters). */
bool auth_token_shape(const char *s, size_t len);

/* The hash a token is stored under. */
void auth_token_hash(const char *token, size_t len, uint8_t out[AUTH_TOKEN_HASH_LEN]);

/* Constant-time equality of a[0..alen) and b[0..blen) (the lengths are not secret). */
bool auth_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
