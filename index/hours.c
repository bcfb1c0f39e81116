/* hours.c - a small parser for opening hours (grammar in hours.h) that answers "open at" without
 * allocating: the string is parsed into a week of minute ranges on the stack. */
#include "index/hours.h"

#include <string.h>

#define MAX_RANGES 8 /* per day */

struct day {
    int n;
    short from[MAX_RANGES], to[MAX_RANGES]; /* minutes, to > from, to <= 1440 */
};

struct week {
    struct day d[7];
};

static int day_index(const char *p)
{
    static const char names[] = "MoTuWeThFrSaSu";
    for (int i = 0; i < 7; i++)
        if (p[0] == names[2 * i] && p[1] == names[2 * i + 1])
            return i;
    return -1;
}

static bool parse_time(const char **p, int *minutes)
{
    const char *s = *p;
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : !(s[i] >= '0' && s[i] <= '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *minutes = h * 60 + m;
    *p = s + 5;
    return true;
}

static bool add_range(struct day *d, int from, int to)
{
    if (from >= to || d->n == MAX_RANGES)
        return false;
    d->from[d->n] = (short)from;
    d->to[d->n] = (short)to;
    d->n++;
    return true;
}

/* One rule starting at *p; days[] gets the days it names. */
static bool parse_rule(const char **p, struct week *w)
{
    const char *s = *p;
    bool days[7] = {false};
    bool any_day = false;
    while (day_index(s) >= 0) {
        int a = day_index(s), b = a;
        s += 2;
        if (*s == '-') {
            if ((b = day_index(s + 1)) < 0)
                return false;
            s += 3;
        }
        for (int i = a;; i = (i + 1) % 7) { /* Fr-Mo wraps over the weekend */
            days[i] = true;
            if (i == b)
                break;
        }
        any_day = true;
        if (*s != ',')
            break;
        s++;
    }
    if (any_day) {
        if (*s != ' ')
            return false;
        s++;
    } else {
        memset(days, 1, sizeof days);
    }
    struct week next = *w;
    for (int i = 0; i < 7; i++)
        if (days[i])
            next.d[i].n = 0; /* this rule replaces earlier ones for its days */
    if (strncmp(s, "off", 3) == 0) {
        s += 3;
    } else {
        for (;;) {
            int from, to;
            if (!parse_time(&s, &from) || *s++ != '-' || !parse_time(&s, &to) || from == 1440 ||
                from == to)
                return false;
            for (int i = 0; i < 7; i++) {
                if (!days[i])
                    continue;
                if (to > from) {
                    if (!add_range(&next.d[i], from, to))
                        return false;
                } else if (!add_range(&next.d[i], from, 1440) ||
                           (to > 0 && !add_range(&next.d[(i + 1) % 7], 0, to))) {
                    return false;
                }
            }
            if (*s != ',')
                break;
            s++;
        }
    }
    *w = next;
    *p = s;
    return true;
}

static bool parse(const char *s, struct week *w)
{
    memset(w, 0, sizeof *w);
    if (!s || !*s)
        return false;
    if (strcmp(s, "24/7") == 0) {
        for (int i = 0; i < 7; i++)
            add_range(&w->d[i], 0, 1440);
        return true;
    }
    for (;;) {
        if (!parse_rule(&s, w))
            return false;
        if (*s == '\0')
            return true;
        if (s[0] != ';' || s[1] != ' ')
            return false;
        s += 2;
    }
}

bool hours_valid(const char *hours)
{
    struct week w;
    return parse(hours, &w);
}

bool hours_open(const char *hours, int weekday, int minute)
{
    struct week w;
    if (weekday < 0 || weekday > 6 || minute < 0 || minute >= 1440 || !parse(hours, &w))
        return false;
    const struct day *d = &w.d[weekday];
    for (int i = 0; i < d->n; i++)
        if (minute >= d->from[i] && minute < d->to[i])
            return true;
    return false;
}
