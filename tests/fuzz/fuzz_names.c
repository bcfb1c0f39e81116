/* fuzz_names.c - libFuzzer target for index/names*.c (and the pinyin tables under them): any bytes
 * as a query over an index of 304 names built once with the real pinyin table (Wuhan districts
 * and streets, some communities, and names with letters, digits, spaces and odd readings). The
 * search must answer or refuse (GEOD_EINVAL, GEOD_ERANGE; invalid UTF-8 always GEOD_EINVAL)
 * without a sanitizer report, and keep the promises of names.h: at most `limit` hits, valid ids
 * once each, valid classes, ranks and scores in increasing order; a smaller limit, a group mask
 * or an accept callback give the matching first hits of the full answer; white space around the
 * query changes nothing. A broken promise is __builtin_trap(). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/pinyin_data.h"
#include "index/names.h"
#include "index/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static const struct {
    const char *name;
    uint32_t group; /* the division level (0 city .. 3 community), 4 for the others */
} names[] = {
    {"武汉市", 0},
    {"江岸区", 1},
    {"江汉区", 1},
    {"硚口区", 1},
    {"汉阳区", 1},
    {"武昌区", 1},
    {"青山区", 1},
    {"洪山区", 1},
    {"东西湖区", 1},
    {"汉南区", 1},
    {"蔡甸区", 1},
    {"江夏区", 1},
    {"黄陂区", 1},
    {"新洲区", 1},
    {"大智街道", 2},
    {"一元街道", 2},
    {"车站街道", 2},
    {"四唯街道", 2},
    {"永清街道", 2},
    {"西马街道", 2},
    {"球场街道", 2},
    {"劳动街道", 2},
    {"二七街道", 2},
    {"新村街道", 2},
    {"丹水池街道", 2},
    {"台北街道", 2},
    {"花桥街道", 2},
    {"谌家矶街道", 2},
    {"后湖街道", 2},
    {"塔子湖街道", 2},
    {"百步亭花园", 2},
    {"民族街街道", 2},
    {"花楼街街道", 2},
    {"水塔街街道", 2},
    {"民权街街道", 2},
    {"满春街街道", 2},
    {"民意街街道", 2},
    {"新华街街道", 2},
    {"万松街街道", 2},
    {"唐家墩街街道", 2},
    {"北湖街街道", 2},
    {"前进街街道", 2},
    {"常青街街道", 2},
    {"汉兴街街道", 2},
    {"江汉经济开发区", 2},
    {"武汉中央商务区管理委员会", 2},
    {"古田街道", 2},
    {"韩家墩街道", 2},
    {"宗关街道", 2},
    {"汉水桥街道", 2},
    {"宝丰街道", 2},
    {"荣华街道", 2},
    {"汉中街道", 2},
    {"汉正街道", 2},
    {"六角亭街道", 2},
    {"长丰街道", 2},
    {"易家街道", 2},
    {"建桥街道", 2},
    {"晴川街道", 2},
    {"鹦鹉街道", 2},
    {"洲头街道", 2},
    {"五里墩街道", 2},
    {"琴断口街道", 2},
    {"江汉二桥街道", 2},
    {"永丰街道", 2},
    {"江堤街道", 2},
    {"四新街道", 2},
    {"龙阳街道", 2},
    {"积玉桥街道", 2},
    {"杨园街道", 2},
    {"徐家棚街道", 2},
    {"粮道街道", 2},
    {"中华路街道", 2},
    {"黄鹤楼街道", 2},
    {"紫阳街道", 2},
    {"白沙洲街道", 2},
    {"首义路街道", 2},
    {"中南路街道", 2},
    {"水果湖街道", 2},
    {"珞珈山街道", 2},
    {"石洞街道", 2},
    {"南湖街道", 2},
    {"东湖风景区街道（武昌）", 2},
    {"红卫路街道", 2},
    {"冶金街道", 2},
    {"新沟桥街道", 2},
    {"红钢城街道", 2},
    {"工人村街道", 2},
    {"青山镇街道", 2},
    {"武东街道", 2},
    {"白玉山街道", 2},
    {"钢花村街道", 2},
    {"钢都花园街道", 2},
    {"武钢集团", 2},
    {"开发区", 2},
    {"珞南街道", 2},
    {"关山街道", 2},
    {"狮子山街道", 2},
    {"张家湾街道", 2},
    {"梨园街道", 2},
    {"卓刀泉街道", 2},
    {"洪山街街道", 2},
    {"和平街道", 2},
    {"青菱街道", 2},
    {"八吉府街道", 2},
    {"关东街道", 2},
    {"花山街道", 2},
    {"左岭街道", 2},
    {"九峰街道", 2},
    {"天兴乡", 2},
    {"清谭湖街道", 2},
    {"东湖风景区街道（洪山）", 2},
    {"吴家山街", 2},
    {"柏泉办事处街道", 2},
    {"将军路街道", 2},
    {"慈惠街道", 2},
    {"走马岭街道", 2},
    {"径河街道", 2},
    {"长青街道", 2},
    {"辛安渡办事处街道", 2},
    {"东山办事处街道", 2},
    {"常青花园新区管理委员会街道", 2},
    {"新沟镇街道", 2},
    {"金银湖街道", 2},
    {"产业管理处", 2},
    {"保税物流管理处", 2},
    {"海峡两岸科技产业管理处", 2},
    {"食品工业管理处", 2},
    {"临空经济管理处", 2},
    {"农科所管理处", 2},
    {"现代服务业管理处", 2},
    {"纱帽街道", 2},
    {"邓南街道", 2},
    {"东荆街道", 2},
    {"湘口街道", 2},
    {"蔡甸街道", 2},
    {"奓山街道", 2},
    {"永安街道", 2},
    {"侏儒山街道", 2},
    {"大集街道", 2},
    {"张湾街道", 2},
    {"索河街道", 2},
    {"玉贤街道", 2},
    {"沌口街道", 2},
    {"军山街道", 2},
    {"沌阳街道", 2},
    {"消泗乡", 2},
    {"桐湖", 2},
    {"侏儒山街道洪北片区", 2},
    {"中法武汉生态示范城", 2},
    {"侏儒山街道成功片区", 2},
    {"蔡甸经济开发区", 2},
    {"纸坊街道", 2},
    {"金口街道", 2},
    {"乌龙泉街道", 2},
    {"郑店街道", 2},
    {"五里界街道", 2},
    {"金水街道", 2},
    {"安山街道", 2},
    {"山坡街道", 2},
    {"法泗街道", 2},
    {"湖泗街道", 2},
    {"舒安街道", 2},
    {"佛祖岭街道", 2},
    {"豹澥街道", 2},
    {"龙泉街道", 2},
    {"滨湖街道", 2},
    {"武汉江夏经济开发区庙山高新技术产业园", 2},
    {"武汉江夏经济开发区藏龙岛高新技术产业园", 2},
    {"武汉江夏经济开发区大桥现代产业园", 2},
    {"江夏梁子湖风景区", 2},
    {"武汉江夏经济开发区金港汽车产业园", 2},
    {"前川街道", 2},
    {"祁家湾街道", 2},
    {"横店街道", 2},
    {"罗汉寺街道", 2},
    {"滠口街道", 2},
    {"六指街道", 2},
    {"天河街道", 2},
    {"王家河街道", 2},
    {"长轩岭街道", 2},
    {"李集街道", 2},
    {"姚集街道", 2},
    {"蔡榨街道", 2},
    {"武湖街道", 2},
    {"三里桥街道", 2},
    {"蔡店街道", 2},
    {"木兰乡", 2},
    {"木兰山风景区管理处", 2},
    {"大潭办事处", 2},
    {"盘龙城经济开发区", 2},
    {"汉口北商贸物流枢纽区管委会", 2},
    {"邾城街道", 2},
    {"阳逻街道", 2},
    {"仓埠街道", 2},
    {"汪集街道", 2},
    {"李集街道", 2},
    {"三店街道", 2},
    {"潘塘街道", 2},
    {"旧街街道", 2},
    {"双柳街道", 2},
    {"涨渡湖街道", 2},
    {"辛冲街道", 2},
    {"徐古街道", 2},
    {"凤凰镇", 2},
    {"道观河风景旅游管理处", 2},
    {"新洲原种场", 2},
    {"长安社区", 3},
    {"长江委社区", 3},
    {"长建社区", 3},
    {"长湖地社区", 3},
    {"长惠社区", 3},
    {"长江明珠社区", 3},
    {"长堤社区居委会", 3},
    {"古乐社区居民委员会", 3},
    {"长安社区居委会", 3},
    {"长荣社区居委会", 3},
    {"幸乐社区居委会", 3},
    {"长寿社区居委会", 3},
    {"长丰社区居委会", 3},
    {"长源社区居民委员会", 3},
    {"长宜社区居委会", 3},
    {"长宁社区居委会", 3},
    {"长顺社区居委会", 3},
    {"锦绣长江社区居委会", 3},
    {"梅林都汇社区居委会", 3},
    {"金都蓝湾社区居委会", 3},
    {"康乐里社区居委会", 3},
    {"长轮社区居委会", 3},
    {"都府堤社区居委会", 3},
    {"长江紫都社区居委会", 3},
    {"长湖社区居委会", 3},
    {"701社区居委会", 3},
    {"719社区居委会", 3},
    {"长春社区居委会", 3},
    {"武重社区居委会", 3},
    {"都市桃源社区居委会", 3},
    {"康乐社区居委会", 3},
    {"110街社区居委会", 3},
    {"111街社区居委会", 3},
    {"114街社区居委会", 3},
    {"116街社区居委会", 3},
    {"117街社区居委会", 3},
    {"118街社区居委会", 3},
    {"119街社区居委会", 3},
    {"120街社区居委会", 3},
    {"121街社区居委会", 3},
    {"保成社区", 3},
    {"建设新村社区", 3},
    {"马场社区居委会", 3},
    {"利北社区居委会", 3},
    {"钢管社区居委会", 3},
    {"四清里社区居委会", 3},
    {"电力社区居委会", 3},
    {"芦家咀村委会", 3},
    {"通惠社区居民委员会", 3},
    {"铁机社区居民委员会", 3},
    {"凤鸣社区居民委员会", 3},
    {"熊家墩社区居民委员会", 3},
    {"白马泾社区居委会", 3},
    {"红焰村委会", 3},
    {"西湾湖社区居委会", 3},
    {"纪庄村委会", 3},
    {"香城生产队", 3},
    {"沙羡社区居委会", 3},
    {"东风村村委会", 3},
    {"曙光村村委会", 3},
    {"湖口村村委会", 3},
    {"金樱社区居委会", 3},
    {"八里村委会", 3},
    {"桥咀村委会", 3},
    {"建国村委会", 3},
    {"观音堂村委会", 3},
    {"联界村委会", 3},
    {"道士冲村委会", 3},
    {"天汇社区居委会", 3},
    {"潘庙社区", 3},
    {"丰乐村委会", 3},
    {"左店村委会", 3},
    {"宋寨村委会", 3},
    {"徐家畈村委会", 3},
    {"曲背湖村委会", 3},
    {"ABC科技有限公司", 4},
    {"3M中国有限公司", 4},
    {"Ｋ１社区", 4},
    {"e家园", 4},
    {"St. John's 医院", 4},
    {"绿洲福利厂", 4},
    {"阿里巴巴", 4},
    {"鹅湖村", 4},
    {"儿童福利院", 4},
    {"哦哦", 4},
    {"嗯", 4},
    {"吕家湾", 4},
    {"女子学校", 4},
    {"长行重乐", 4},
    {"ＡＢＣ", 4},
    {"  空 格  ", 4},
    {"O'Brien 酒店", 4},
    {"〇一二三", 4},
    {"A", 4},
    {"中国", 4},
    {"中华人民共和国湖北省武汉市江汉区", 4},
    {"社区", 4},
};

#define NNAMES (sizeof names / sizeof names[0])

static struct names *ix;

static void build(void)
{
    static struct pinyin_table *pt;
    static struct pinyin_overrides *ov;
    struct pinyin_data_blob ub = pinyin_data_unihan(), ob = pinyin_data_overrides();
    CHECK(pinyin_table_new(ub.data, ub.len, &pt) == GEOD_OK);
    CHECK(pinyin_overrides_new(pt, ob.data, ob.len, &ov, NULL) == GEOD_OK);
    static struct names_entry e[NNAMES];
    for (size_t i = 0; i < NNAMES; i++)
        e[i] = (struct names_entry){(uint32_t)(i * 7 + 3), names[i].name, names[i].group};
    CHECK(names_new(e, NNAMES, pt, ov, NULL, &ix) == GEOD_OK && names_count(ix) == NNAMES);
}

static bool odd(void *udata, uint32_t id)
{
    (void)udata;
    return id % 2;
}

/* the entry of id (i * 7 + 3) */
static size_t entry_of(uint32_t id)
{
    CHECK(id % 7 == 3 && id / 7 < NNAMES);
    return id / 7;
}

static void check_hits(const struct names_hit *h, size_t n, size_t limit)
{
    static bool seen[NNAMES];
    CHECK(n <= limit);
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        size_t e = entry_of(h[i].id);
        CHECK(!seen[e]);
        seen[e] = true;
        CHECK(h[i].cls <= NAMES_SUBSTRING && h[i].rank <= 5 && h[i].len >= 1);
        unsigned how = h[i].rank == 0   ? NAMES_HANZI
                       : h[i].rank == 1 ? NAMES_MIXED
                       : h[i].rank == 5 ? NAMES_INITIALS
                                        : NAMES_PINYIN;
        CHECK(h[i].how == how);
        CHECK(h[i].len <= strlen(names[e].name));
        CHECK(h[i].score == ((uint64_t)h[i].cls << 44 | (uint64_t)h[i].rank << 40 |
                             (uint64_t)h[i].len << 32 | h[i].id));
        CHECK(i == 0 || h[i - 1].score < h[i].score);
        CHECK(i == 0 || h[i - 1].rank <= h[i].rank || h[i - 1].cls < h[i].cls);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix)
        build();
    static struct names_hit all[NAMES_MAX_LIMIT], some[NAMES_MAX_LIMIT], want[NAMES_MAX_LIMIT];
    const char *q = (const char *)data;
    size_t nall = 99, n = 99, nw = 0;
    enum geod_err rc =
        names_search(ix, q, size, NAMES_ALL_GROUPS, NULL, NULL, NAMES_MAX_LIMIT, all, &nall);
    CHECK(rc == GEOD_OK || rc == GEOD_EINVAL || rc == GEOD_ERANGE);
    CHECK(rc == GEOD_OK || nall == 0);
    if (!utf8_valid(q, size) || memchr(q, 0, size))
        CHECK(rc == GEOD_EINVAL);
    check_hits(all, nall, NAMES_MAX_LIMIT);

    /* a smaller limit, a group mask and a filter: the first hits of the full answer */
    size_t limit = 1 + size % 23;
    uint32_t mask = size ? 1u + data[0] % 31u : NAMES_ALL_GROUPS;
    bool filter = size % 3 == 0;
    CHECK(names_search(ix, q, size, mask, filter ? odd : NULL, NULL, limit, some, &n) == rc);
    for (size_t i = 0; i < nall && nw < limit; i++)
        if (mask >> names[entry_of(all[i].id)].group & 1 && (!filter || all[i].id % 2))
            want[nw++] = all[i];
    CHECK(n == nw && memcmp(some, want, n * sizeof *some) == 0);
    CHECK(names_search(ix, q, size, NAMES_ALL_GROUPS, NULL, NULL, 0, some, &n) == rc && n == 0);
    CHECK(names_search(ix, q, size, NAMES_ALL_GROUPS, NULL, NULL, NAMES_MAX_LIMIT + 1, some, &n) ==
              (rc ? rc : GEOD_ERANGE) &&
          n == 0);

    /* white space around the query changes nothing */
    char *padded = malloc(size + 5);
    CHECK(padded != NULL);
    memcpy(padded, " \t", 2);
    memcpy(padded + 2, q, size);
    memcpy(padded + 2 + size, "\xe3\x80\x80", 3); /* U+3000 */
    n = 99;
    CHECK(names_search(ix, padded, size + 5, NAMES_ALL_GROUPS, NULL, NULL, NAMES_MAX_LIMIT, some,
                       &n) == rc);
    CHECK(n == nall && memcmp(some, all, n * sizeof *some) == 0);
    free(padded);
    return 0;
}
