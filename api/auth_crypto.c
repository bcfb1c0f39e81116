/* auth_crypto.c - libsodium behind auth_crypto.h. */
#include "api/auth_crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(AUTH_PW_HASH_MAX == crypto_pwhash_STRBYTES, "hash string size");
_Static_assert(AUTH_TOKEN_HASH_LEN == crypto_generichash_BYTES, "token hash size");

bool auth_crypto_weak(void)
{
    const char *v = getenv("GEOD_KDF_COST");
    return v && strcmp(v, "min") == 0;
}

enum geod_err auth_crypto_init(void)
{
    if (sodium_init() < 0)
        return GEOD_ESYS;
    return GEOD_OK;
}

enum geod_err auth_pw_hash(const char *pw, size_t len, char out[AUTH_PW_HASH_MAX])
{
    bool weak = auth_crypto_weak();
    unsigned long long ops = weak ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = weak ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str(out, pw, len, ops, mem) != 0)
        return GEOD_ENOMEM;
    return GEOD_OK;
}

bool auth_pw_verify(const char *hash, const char *pw, size_t len)
{
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char raw[AUTH_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

bool auth_token_shape(const char *s, size_t len)
{
    if (len != AUTH_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

void auth_token_hash(const char *token, size_t len, uint8_t out[AUTH_TOKEN_HASH_LEN])
{
    crypto_generichash(out, AUTH_TOKEN_HASH_LEN, (const unsigned char *)token, len, NULL, 0);
}

bool auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || sodium_memcmp(a, b, alen) == 0);
}
