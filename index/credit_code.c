/* credit_code.c - checking unified social credit codes (GB 32100-2015), see credit_code.h. */
#include "index/credit_code.h"

#include <string.h>

static const char charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* Registration authorities and the entity types each registers (GB 32100-2015 table 1, with
 * amendment 1: A for the military's public institutions, N for rural collective economic
 * organizations); 9 is "other" wherever the table has it, Y has no types of its own. */
static const struct {
    char authority;
    const char *types;
} table[] = {
    {'1', "1239"},   /* 机构编制: 机关, 事业单位, 群众团体, 其他 */
    {'2', "19"},     /* 外交: 外国常驻新闻机构, 其他 */
    {'3', "123459"}, /* 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会 */
    {'4', "19"},     /* 文化: 外国在华文化中心, 其他 */
    {'5', "1239"},   /* 民政: 社会团体, 民办非企业单位, 基金会, 其他 */
    {'6', "129"},    /* 旅游: 外国/港澳台旅游部门常驻代表机构, 其他 */
    {'7', "129"},    /* 宗教: 宗教活动场所, 宗教院校, 其他 */
    {'8', "19"},     /* 工会: 基层工会, 其他 */
    {'9', "123"},    /* 工商 (市场监管): 企业, 个体工商户, 农民专业合作社 */
    {'A', "19"},     /* 中央军委改革和编制办公室: 军队事业单位, 其他 */
    {'N', "1239"},   /* 农业农村: 组级, 村级, 乡镇级集体经济组织, 其他 */
    {'Y', "1"},      /* 其他 */
};

/* The first two digits of GB/T 2260 region codes: the provinces, and 10 for national bodies. */
static const char provinces[][3] = {"10", "11", "12", "13", "14", "15", "21", "22", "23",
                                    "31", "32", "33", "34", "35", "36", "37", "41", "42",
                                    "43", "44", "45", "46", "50", "51", "52", "53", "54",
                                    "61", "62", "63", "64", "65", "71", "81", "82"};

static int value_of(char c)
{
    const char *p = c ? strchr(charset, c) : NULL;
    return p ? (int)(p - charset) : -1;
}

char credit_code_check(const char *body)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = value_of(body[i]);
        if (v < 0)
            return '\0';
        sum += v * weights[i];
    }
    return charset[(31 - sum % 31) % 31];
}

static bool known_type(char authority, char type)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].authority == authority)
            return type && strchr(table[i].types, type) != NULL;
    return false;
}

static bool region_ok(const char *r)
{
    for (int i = 0; i < 6; i++)
        if (r[i] < '0' || r[i] > '9')
            return false;
    if (memcmp(r, "10", 2) == 0)
        return memcmp(r, "100000", 6) == 0;
    for (size_t i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
        if (memcmp(r, provinces[i], 2) == 0)
            return true;
    return false;
}

bool credit_code_valid(const char *s)
{
    if (!s || strlen(s) != CREDIT_CODE_LEN)
        return false;
    return known_type(s[0], s[1]) && region_ok(s + 2) && credit_code_check(s) == s[17];
}
