/* test_similar.c - index/similar.h (the duplicate guard's name rule) against a second
 * implementation written here from the rule's text: normalization by a table of what is dropped
 * and mapped, containment by brute force over code point arrays, and the edit distance by the
 * full dynamic-programming table. Random pairs built from real-looking facility names with
 * insertions, deletions, substitutions, punctuation, spaces and fullwidth letters. */
#include "index/similar.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXCP 300

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* UTF-8 to code points (the inputs here are valid). */
static size_t decode(const char *s, uint32_t *cp)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < MAXCP) {
        uint32_t c;
        int k;
        if (*p < 0x80)
            c = *p, k = 1;
        else if (*p < 0xE0)
            c = *p & 0x1F, k = 2;
        else if (*p < 0xF0)
            c = *p & 0x0F, k = 3;
        else
            c = *p & 0x07, k = 4;
        for (int i = 1; i < k; i++)
            c = c << 6 | (p[i] & 0x3F);
        cp[n++] = c;
        p += k;
    }
    return n;
}

static bool dropped(uint32_t c)
{
    static const uint32_t cjk[] = {0x3000, 0x3001, 0x3002, 0xFF0C, 0x00B7, 0xFF08, 0xFF09,
                                   0x300A, 0x300B, 0x201C, 0x201D, 0x2018, 0x2019, 0x3010,
                                   0x3011};
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
        return true;
    if (c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c) && c)
        return true;
    if (c >= 0xFF01 && c <= 0xFF5E) { /* fullwidth: dropped if its ASCII twin is punctuation */
        uint32_t a = c - 0xFF01 + 0x21;
        return strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)a) != NULL;
    }
    for (size_t i = 0; i < sizeof cjk / sizeof cjk[0]; i++)
        if (c == cjk[i])
            return true;
    return false;
}

static size_t normalize(const char *s, uint32_t *out)
{
    uint32_t cp[MAXCP];
    size_t n = decode(s, cp), m = 0;
    for (size_t i = 0; i < n && m < SIMILAR_MAX_CP; i++) {
        uint32_t c = cp[i];
        if (dropped(c))
            continue;
        if (c >= 0xFF01 && c <= 0xFF5E)
            c = c - 0xFF01 + 0x21;
        if (c >= 'A' && c <= 'Z')
            c += 32;
        out[m++] = c;
    }
    return m;
}

static bool contains(const uint32_t *big, size_t nb, const uint32_t *small, size_t ns)
{
    for (size_t i = 0; i + ns <= nb; i++)
        if (memcmp(big + i, small, ns * sizeof *small) == 0)
            return true;
    return false;
}

static size_t levenshtein(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    static size_t d[MAXCP + 1][MAXCP + 1];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[na][nb];
}

static bool oracle(const char *x, const char *y)
{
    uint32_t a[MAXCP], b[MAXCP];
    size_t na = normalize(x, a), nb = normalize(y, b);
    if (!na || !nb)
        return false;
    if (na == nb && memcmp(a, b, na * sizeof *a) == 0)
        return true;
    size_t ns = na < nb ? na : nb;
    if (ns >= 2 && (na < nb ? contains(b, nb, a, na) : contains(a, na, b, nb)))
        return true;
    size_t ed = levenshtein(a, na, b, nb);
    return (ed <= 1 && ns >= 3) || (ed <= 2 && ns >= 6);
}

static const char *const parts[] = {"武汉", "江汉", "区", "社会", "福利院", "第一", "养老",
                                    "中心", "救助", "管理站", "医院", "社区", "服务", "街道",
                                    "Ａ", "b", "C", "（", "）", " ", "·", "、", "-", "１",
                                    "号", "院", "日间", "照料", "　", "."};

static void name(char *out, size_t cap)
{
    out[0] = '\0';
    int k = 1 + (int)rnd(6);
    for (int i = 0; i < k; i++)
        strncat(out, parts[rnd(sizeof parts / sizeof parts[0])], cap - strlen(out) - 1);
}

/* A variant of s: a part inserted, one dropped, or one changed, or the same. */
static void mutate(const char *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s", s);
    int kind = (int)rnd(4);
    const char *p = parts[rnd(sizeof parts / sizeof parts[0])];
    size_t len = strlen(out);
    if (kind == 0 && len + strlen(p) < cap) {
        strcat(out, p);
    } else if (kind == 1 && len >= 3) {
        out[len - 3] = '\0'; /* drops a CJK character (or cuts ASCII ones) */
        uint32_t cp[MAXCP];
        if (decode(out, cp) == 0 || (unsigned char)out[strlen(out) - 1] >= 0x80) {
            /* keep the string valid UTF-8: cut back to a character boundary */
            size_t n = strlen(out);
            while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                n--;
            if (n && (unsigned char)out[n - 1] >= 0xC0)
                n--;
            out[n] = '\0';
        }
    } else if (kind == 2) {
        char t[256];
        snprintf(t, sizeof t, "%s%s", p, out);
        snprintf(out, cap, "%s", t);
    }
}

static void test_cases(void)
{
    T_CHECK(names_similar("江汉区社会福利院", "江汉区社会福利院"));
    T_CHECK(names_similar("江汉区社会福利院", "江汉区 社会福利院（新）") == oracle("江汉区社会福利院", "江汉区 社会福利院（新）"));
    T_CHECK(names_similar("ABC医院", "ａｂｃ医院"));
    T_CHECK(!names_similar("（）", "（）"));
    T_CHECK(!names_similar("医院", "学校"));
}

static void test_random_vs_oracle(void)
{
    int differ = 0, similar = 0;
    for (int i = 0; i < 20000; i++) {
        char a[256], b[256];
        name(a, sizeof a);
        if (rnd(3))
            mutate(a, b, sizeof b);
        else
            name(b, sizeof b);
        bool got = names_similar(a, b), want = oracle(a, b);
        if (got != want && differ++ < 5)
            T_CHECKF(0, "\"%s\" vs \"%s\": %d, the rule says %d", a, b, got, want);
        similar += want;
        /* symmetric */
        if (names_similar(b, a) != got && differ++ < 5)
            T_CHECKF(0, "not symmetric: \"%s\" \"%s\"", a, b);
    }
    T_CHECKF(differ == 0, "%d pairs differ", differ);
    T_CHECKF(similar > 2000 && similar < 18000, "%d similar of 20000", similar);
}

int main(void)
{
    T_RUN(test_cases);
    T_RUN(test_random_vs_oracle);
    return T_END();
}
