/* test_hours.c - index/hours.c against hand-worked reference answers. */
#include "index/hours.h"
#include "tests/t.h"

enum { MO, TU, WE, TH, FR, SA, SU };

struct c {
    const char *hours;
    int day, hh, mm;
    bool open;
};

static void test_cases(void)
{
    static const struct c cases[] = {
        {"24/7", MO, 0, 0, true},
        {"24/7", SU, 23, 59, true},
        {"Mo-Fr 08:30-17:30", MO, 8, 29, false},
        {"Mo-Fr 08:30-17:30", MO, 8, 30, true},
        {"Mo-Fr 08:30-17:30", FR, 17, 29, true},
        {"Mo-Fr 08:30-17:30", FR, 17, 30, false}, /* the end minute is closed */
        {"Mo-Fr 08:30-17:30", SA, 10, 0, false},
        {"Mo-Fr 09:00-12:00,13:30-17:00", WE, 12, 30, false},
        {"Mo-Fr 09:00-12:00,13:30-17:00", WE, 13, 30, true},
        {"Mo-Sa 08:00-17:30", SA, 9, 0, true},
        {"Mo-Sa 08:00-17:30", SU, 9, 0, false},
        {"08:00-20:00", SU, 19, 59, true}, /* no days: every day */
        {"Mo-Su 08:00-20:00; Su off", SU, 10, 0, false},
        {"Mo-Su 08:00-20:00; Su off", SA, 10, 0, true},
        {"Mo-Fr 08:00-12:00; We 14:00-18:00", WE, 9, 0, false}, /* later rule replaces We */
        {"Mo-Fr 08:00-12:00; We 14:00-18:00", WE, 15, 0, true},
        {"Mo-Fr 08:00-12:00; We 14:00-18:00", TH, 9, 0, true},
        {"Fr-Mo 10:00-16:00", SU, 12, 0, true}, /* wraps over the weekend */
        {"Fr-Mo 10:00-16:00", TU, 12, 0, false},
        {"Mo,We,Fr 10:00-11:00", WE, 10, 30, true},
        {"Mo,We,Fr 10:00-11:00", TU, 10, 30, false},
        {"Sa 22:00-02:00", SA, 23, 0, true}, /* past midnight */
        {"Sa 22:00-02:00", SU, 1, 59, true},
        {"Sa 22:00-02:00", SU, 2, 0, false},
        {"Mo 00:00-24:00", MO, 23, 59, true},
        {"Mo 00:00-24:00", TU, 0, 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct c *k = &cases[i];
        T_CHECKF(hours_valid(k->hours), "%s should parse", k->hours);
        bool got = hours_open(k->hours, k->day, k->hh * 60 + k->mm);
        T_CHECKF(got == k->open, "%s on day %d at %02d:%02d: got %d", k->hours, k->day, k->hh,
                 k->mm, got);
    }
}

static void test_invalid(void)
{
    static const char *const bad[] = {
        NULL, "", "Mo-Fr", "Mo-Fr ", "Mo-Fr 8:30-17:30", "Mo-Fr 08:30-17:60", "Mo-Fr 25:00-26:00",
        "Mo-Fr 08:30-17:30;Sa 09:00-12:00", "Xx 08:00-09:00", "Mo-Xx 08:00-09:00",
        "08:00-08:00", "24:00-08:00", "Mo-Fr 08:30-17:30 ", "Mo-Fr 08:30-", "24/7; Su off",
        "09:00-10:00,10:00-11:00,11:00-12:00,12:00-13:00,13:00-14:00,14:00-15:00,15:00-16:00,"
        "16:00-17:00,17:00-18:00", /* more ranges in a day than we keep */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        T_CHECKF(!hours_valid(bad[i]), "%s should not parse", bad[i] ? bad[i] : "NULL");
        T_CHECK(!hours_open(bad[i], MO, 600));
    }
    T_CHECK(!hours_open("24/7", 7, 0));
    T_CHECK(!hours_open("24/7", MO, 1440));
    T_CHECK(!hours_open("24/7", -1, 0));
}

int main(void)
{
    T_RUN(test_cases);
    T_RUN(test_invalid);
    return T_END();
}
