/* test_credit_code.c - index/credit_code.c: real published codes; codes built here with a check
 * character computed by this file's own reading of GB 32100 (character values by ranges, weights
 * as powers of 3 mod 31 grown in a loop; no table shared with credit_code.c); every single
 * substitution of a valid code refused; lower case, wrong lengths, the five letters the set
 * leaves out, unknown authority/type pairs and regions. */
#include "tests/t.h"

#include "index/credit_code.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Codes as published by the State Administration for Market Regulation's public register. */
static const char *const real_codes[] = {
    "914403001922038216", /* 华为技术有限公司 */
    "91440300708461136T", /* 深圳市腾讯计算机系统有限公司 */
    "91330100716105852F", /* 阿里巴巴（中国）有限公司 */
    "91110108551385082Q", /* 小米科技有限责任公司 */
    "91110000802100433B", /* 北京百度网讯科技有限公司 */
};
#define NREAL (sizeof real_codes / sizeof real_codes[0])

/* ---- the oracle: GB 32100 read again ---- */

/* 0-9, then the capitals without I O S V Z, numbered on: A..H 10..17, J..N 18..22, P..R 23..25,
 * T U 26 27, W..Y 28..30; -1 otherwise. */
static int o_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'H')
        return 10 + (c - 'A');
    if (c >= 'J' && c <= 'N')
        return 18 + (c - 'J');
    if (c >= 'P' && c <= 'R')
        return 23 + (c - 'P');
    if (c == 'T' || c == 'U')
        return 26 + (c - 'T');
    if (c >= 'W' && c <= 'Y')
        return 28 + (c - 'W');
    return -1;
}

static char o_char(int v)
{
    for (char c = '0'; c <= 'Z'; c++)
        if (o_value(c) == v)
            return c;
    return '?';
}

/* The check character of body[0..17), or 0 when a character is outside the set. */
static char o_check(const char *body)
{
    long sum = 0, w = 1;
    for (int i = 0; i < 17; i++, w = w * 3 % 31) {
        int v = o_value(body[i]);
        if (v < 0)
            return 0;
        sum += v * w;
    }
    return o_char((int)((31 - sum % 31) % 31));
}

static uint64_t rs = 88172645463325252ull;
static unsigned rnd(unsigned n) /* xorshift64 */
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (unsigned)(rs % n);
}

/* A random well-formed code: one of the common authority/type pairs, a Hubei or national
 * region, 9 random characters of the set, the oracle's check character. */
static void random_code(char out[19])
{
    static const char *const pairs[] = {"91", "92", "93", "11", "12", "51",
                                        "52", "53", "N2", "31", "Y1"};
    static const char *const regions[] = {"420102", "420106", "420117", "100000",
                                          "110108", "440300", "330100", "820000"};
    memcpy(out, pairs[rnd(sizeof pairs / sizeof pairs[0])], 2);
    memcpy(out + 2, regions[rnd(sizeof regions / sizeof regions[0])], 6);
    for (int i = 8; i < 17; i++)
        out[i] = o_char((int)rnd(31));
    out[17] = o_check(out);
    out[18] = '\0';
}

/* ---- tests ---- */

static void test_real_codes(void)
{
    for (size_t i = 0; i < NREAL; i++) {
        const char *c = real_codes[i];
        T_CHECKF(credit_code_valid(c), "%s refused", c);
        T_CHECKF(o_check(c) == c[17], "%s: the oracle disagrees with the register", c);
        T_CHECKF(credit_code_check(c) == c[17], "%s: check %c", c, credit_code_check(c));
    }
}

static void test_random_codes_agree_with_oracle(void)
{
    for (int i = 0; i < 5000; i++) {
        char c[19];
        random_code(c);
        T_CHECKF(credit_code_check(c) == c[17], "%s: check %c", c, credit_code_check(c));
        T_CHECKF(credit_code_valid(c), "%s refused", c);
    }
}

/* Any one character changed, to any other character of the set or outside it, is refused. */
static void substitutions(const char *code)
{
    static const char others[] = "IOSVZabcxyz -/*\x7f\xc3";
    char c[19];
    for (int pos = 0; pos < 18; pos++) {
        for (int v = 0; v < 31 + (int)strlen(others); v++) {
            char ch = v < 31 ? o_char(v) : others[v - 31];
            if (ch == code[pos])
                continue;
            memcpy(c, code, 19);
            c[pos] = ch;
            T_CHECKF(!credit_code_valid(c), "%s (position %d of %s) accepted", c, pos + 1, code);
        }
    }
}

static void test_every_substitution_refused(void)
{
    for (size_t i = 0; i < NREAL; i++)
        substitutions(real_codes[i]);
    for (int i = 0; i < 200; i++) {
        char c[19];
        random_code(c);
        substitutions(c);
    }
}

static void test_case_and_length(void)
{
    char c[40];
    strcpy(c, "91440300708461136t");
    T_CHECK(!credit_code_valid(c));
    strcpy(c, "91440300708461136T");
    T_CHECK(credit_code_valid(c));
    for (int i = 0; i < 200; i++) { /* a code with a letter, any letter lowered */
        random_code(c);
        bool lowered = false;
        for (int k = 0; k < 18; k++) {
            if (c[k] >= 'A' && c[k] <= 'Z') {
                c[k] = (char)(c[k] - 'A' + 'a');
                lowered = true;
                break;
            }
        }
        T_CHECKF(!lowered || !credit_code_valid(c), "%s accepted", c);
    }
    T_CHECK(!credit_code_valid(NULL));
    T_CHECK(!credit_code_valid(""));
    T_CHECK(!credit_code_valid("91440300708461136"));   /* 17 */
    T_CHECK(!credit_code_valid("91440300708461136T0")); /* 19 */
    T_CHECK(!credit_code_valid(" 91440300708461136T"));
    T_CHECK(!credit_code_valid("91440300708461136T "));
    /* a body cut short ends in its NUL, which is outside the set: no read past it */
    T_CHECK(credit_code_check("9144030070846113") == '\0');
}

static void test_forbidden_letters(void)
{
    const char *forbidden = "IOSVZ";
    for (int i = 0; i < 500; i++) {
        char c[19];
        random_code(c);
        int pos = 8 + (int)rnd(9);
        c[pos] = forbidden[rnd(5)];
        T_CHECKF(credit_code_check(c) == '\0', "%s: check %c", c, credit_code_check(c));
        /* whatever the last character, it cannot be valid */
        for (int v = 0; v < 31; v++) {
            c[17] = o_char(v);
            T_CHECKF(!credit_code_valid(c), "%s accepted", c);
        }
    }
}

/* Well-formed checksums on structures GB 32100 does not have. */
static void test_structure(void)
{
    struct {
        const char *head; /* the first 8 characters */
        bool ok;
    } cases[] = {
        {"91420102", true},  {"92420102", true},  {"93420102", true},  {"94420102", false},
        {"90420102", false}, {"51100000", true},  {"54420102", false}, {"Y1420102", true},
        {"Y2420102", false}, {"B1420102", false}, {"00420102", false}, {"91101234", false},
        {"91990000", false}, {"91000000", false}, {"91A20102", false}, {"N2420102", true},
        {"A1420102", true},  {"A2420102", false}, {"31420102", true},  {"36420102", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char c[19];
        memcpy(c, cases[i].head, 8);
        memcpy(c + 8, "MA4K0000X", 9);
        c[17] = o_check(c);
        c[18] = '\0';
        T_CHECKF(c[17] != 0, "%s: oracle check", cases[i].head);
        T_CHECKF(credit_code_valid(c) == cases[i].ok, "%s: %s", c,
                 cases[i].ok ? "refused" : "accepted");
    }
}

int main(void)
{
    T_RUN(test_real_codes);
    T_RUN(test_random_codes_agree_with_oracle);
    T_RUN(test_every_substitution_refused);
    T_RUN(test_case_and_length);
    T_RUN(test_forbidden_letters);
    T_RUN(test_structure);
    return T_END();
}
