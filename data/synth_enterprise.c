/* synth_enterprise.c - a synthetic welfare enterprise per synthetic welfare_enterprise facility
 * (see synth_enterprise.h). Every choice comes from one splitmix64 stream seeded with a hash of
 * the facility's key, so one record never depends on the others. About 1 in 20 has no known
 * disabled-employee count and 1 in 25 no certification date, as in real registers. */
#include "data/synth_enterprise.h"
#include "data/synth.h"
#include "index/credit_code.h"

#include <stdio.h>
#include <string.h>

static uint64_t mix(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(mix(s) % n);
}

/* Industries by what the name says the works make (synth.c's trades), else 其他制造业. */
static const char *industry_of(const char *name)
{
    static const char *const map[][2] = {
        {"印刷", "印刷和记录媒介复制业"}, {"制衣", "纺织服装、服饰业"},
        {"包装", "包装装潢及其他印刷"},   {"电子", "计算机、通信和其他电子设备制造业"},
        {"五金", "金属制品业"},           {"食品", "食品制造业"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(name, map[i][0]))
            return map[i][1];
    return "其他制造业";
}

/* The 9-character GB 11714 organization code: 8 digits, then the check character
 * C = 11 - sum(d_i * w_i) mod 11 with w = 3 7 9 10 5 8 4 2 (10 is written X, 11 is 0). */
static void org_code(uint64_t *s, char out[9])
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        int d = i == 0 ? 1 + (int)below(s, 9) : (int)below(s, 10);
        out[i] = (char)('0' + d);
        sum += d * w[i];
    }
    int c = 11 - sum % 11;
    out[8] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

enum geod_err synth_enterprise(const struct store_facility *f, struct synth_enterprise_buf *buf,
                               struct store_enterprise *out)
{
    if (!f->category || strcmp(f->category, SYNTH_ENTERPRISE_CATEGORY) != 0 || !f->source_key)
        return GEOD_EINVAL;
    uint64_t s = SYNTH_SEED;
    for (const char *p = f->source_key; *p; p++) /* FNV-1a into the seed */
        s = (s ^ (unsigned char)*p) * 0x100000001b3ull;
    const char *div = f->division_code;
    bool has_div = div && strlen(div) == 12;
    snprintf(buf->district_code, sizeof buf->district_code, "%.6s000000", has_div ? div : "420100");
    /* 9 market regulation, 1 enterprise, the district's region code, the organization code */
    memcpy(buf->credit_code, "91", 2);
    memcpy(buf->credit_code + 2, buf->district_code, 6);
    org_code(&s, buf->credit_code + 8);
    buf->credit_code[17] = credit_code_check(buf->credit_code);
    buf->credit_code[18] = '\0';
    unsigned days = below(&s, 15 * 365); /* a day of 2008..2022 (only the 1st..28th) */
    snprintf(buf->certified_on, sizeof buf->certified_on, "%04u-%02u-%02u", 2008 + days / 365,
             1 + days % 365 / 28 % 12, 1 + days % 28);
    snprintf(buf->source_key, sizeof buf->source_key, "enterprise:%s", f->source_key);
    bool count_known = below(&s, 20) != 0, date_known = below(&s, 25) != 0;
    *out = (struct store_enterprise){
        .credit_code = buf->credit_code,
        .name = f->name,
        .address = f->address,
        .lon = f->lon,
        .lat = f->lat,
        .district_code = buf->district_code,
        .industry = industry_of(f->name),
        /* a welfare enterprise employs at least 10 disabled people (民政部 rules: 25%, >= 10) */
        .disabled_employees = count_known ? 10 + (int64_t)below(&s, 71) : -1,
        .certified_on = date_known ? buf->certified_on : NULL,
        .source = SYNTH_SOURCE,
        .source_key = buf->source_key,
    };
    return GEOD_OK;
}
