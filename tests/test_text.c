/* test_text.c - importers/text.c: GBK and GB18030 fields back to UTF-8, checked against iconv run
 * the other way (an independent encoder), and everything that is not text refused. */
#include "importers/text.h"
#include "tests/t.h"

#include <iconv.h>
#include <stdlib.h>

/* UTF-8 s in `to` (GBK or GB18030) via iconv; returns the length. */
static size_t encode(const char *to, const char *s, char *out, size_t cap)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    char *in = (char *)s, *o = out;
    size_t inleft = strlen(s), outleft = cap;
    size_t r = iconv(cd, &in, &inleft, &o, &outleft);
    iconv_close(cd);
    return r == (size_t)-1 ? (size_t)-1 : (size_t)(o - out);
}

static void test_round_trips(void)
{
    static const char *const samples[] = {
        "武汉市江岸区一元街道",
        "黄陂区",
        "沌口街道",
        "奓山街道",
        "福利企业（示例）",
        "ABC科技有限公司 No.7",
        "电话：027-82345678",
        "",
        "鑫淼犇骉",
        "〇",
    };
    struct text_conv *gbk, *gb18030;
    T_CHECK(text_conv_new(TEXT_GBK, &gbk) == GEOD_OK);
    T_CHECK(text_conv_new(TEXT_GB18030, &gb18030) == GEOD_OK);
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char enc[256];
        size_t n = encode("GBK", samples[i], enc, sizeof enc);
        const char *out, *why;
        size_t len;
        T_CHECKF(n != (size_t)-1 && text_to_utf8(gbk, enc, n, &out, &len, &why) == GEOD_OK &&
                     strcmp(out, samples[i]) == 0 && len == strlen(samples[i]),
                 "GBK %s", samples[i]);
        n = encode("GB18030", samples[i], enc, sizeof enc);
        T_CHECKF(n != (size_t)-1 && text_to_utf8(gb18030, enc, n, &out, &len, &why) == GEOD_OK &&
                     strcmp(out, samples[i]) == 0,
                 "GB18030 %s", samples[i]);
    }
    /* beyond GBK: U+20000 is four bytes in GB18030 */
    const char *out, *why;
    size_t len;
    T_CHECK(text_to_utf8(gb18030, "\x95\x32\x82\x36", 4, &out, &len, &why) == GEOD_OK &&
            strcmp(out, "\xF0\xA0\x80\x80") == 0);
    text_conv_free(gbk);
    text_conv_free(gb18030);
}

static void test_refused(void)
{
    struct text_conv *gbk, *utf8;
    T_CHECK(text_conv_new(TEXT_GBK, &gbk) == GEOD_OK);
    T_CHECK(text_conv_new(TEXT_UTF8, &utf8) == GEOD_OK);
    static const struct {
        const char *bytes;
        size_t len;
        int gbk; /* 1: the GBK converter, 0: UTF-8 */
        const char *why;
    } cases[] = {
        {"\x81", 1, 1, "not valid GBK"},     /* a lead byte cut off */
        {"\xFF\xFF", 2, 1, "not valid GBK"}, /* no such bytes in GBK */
        {"ab\x00"
         "cd",
         5, 1, "a control character"},
        {"\xC4\xE3\x07", 3, 1, "a control character"}, /* 你 then BEL */
        {"\xE6\xAD", 2, 0, "not valid UTF-8"},
        {"\xC0\x80", 2, 0, "not valid UTF-8"}, /* overlong NUL */
        {"a\nb", 3, 0, "a control character"},
        {"\xC2\x85", 2, 0, "a control character"}, /* NEL, a C1 control */
        {"\x7F", 1, 0, "a control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *out = NULL, *why = NULL;
        size_t len;
        enum geod_err rc =
            text_to_utf8(cases[i].gbk ? gbk : utf8, cases[i].bytes, cases[i].len, &out, &len, &why);
        T_CHECKF(rc == GEOD_EINVAL && why && strcmp(why, cases[i].why) == 0, "case %zu: %s", i,
                 why ? why : "(accepted)");
    }
    const char *out, *why;
    size_t len;
    T_CHECK(text_to_utf8(utf8, "a\tb", 3, &out, &len, &why) == GEOD_OK); /* tab is text */
    text_conv_free(gbk);
    text_conv_free(utf8);
}

static void test_detect_and_names(void)
{
    enum text_encoding e;
    bool known;
    text_detect("\xEF\xBB\xBFname", 7, &e, &known);
    T_CHECK(known && e == TEXT_UTF8);
    text_detect("江汉", strlen("江汉"), &e, &known);
    T_CHECK(known && e == TEXT_UTF8);
    text_detect("\xBD\xAD\xBA\xBA", 4, &e, &known); /* 江汉 in GBK: not UTF-8 */
    T_CHECK(!known);
    T_CHECK(text_encoding_parse("GBK", &e) == GEOD_OK && e == TEXT_GBK);
    T_CHECK(text_encoding_parse("cp936", &e) == GEOD_OK && e == TEXT_GBK);
    T_CHECK(text_encoding_parse("gb18030", &e) == GEOD_OK && e == TEXT_GB18030);
    T_CHECK(text_encoding_parse("UTF8", &e) == GEOD_OK && e == TEXT_UTF8);
    T_CHECK(text_encoding_parse("big5", &e) == GEOD_EINVAL);
    T_CHECK(strcmp(text_encoding_name(TEXT_GB18030), "gb18030") == 0);
}

int main(void)
{
    T_RUN(test_round_trips);
    T_RUN(test_refused);
    T_RUN(test_detect_and_names);
    return T_END();
}
