/* hours.h - opening hours in a subset of OpenStreetMap's opening_hours syntax, evaluated at a
 * local time. Grammar (spaces as shown; rules apply in order, a later rule replacing the earlier
 * ones for the days it names):
 *   hours  := "24/7" | rule ("; " rule)*
 *   rule   := [days " "] (ranges | "off")        days absent = every day
 *   days   := span ("," span)*    span := DAY ["-" DAY]    DAY := Mo|Tu|We|Th|Fr|Sa|Su
 *   ranges := range ("," range)*  range := HH:MM "-" HH:MM  (end 24:00 allowed; an end before
 *                                                           the start runs past midnight) */
#ifndef GEOD_HOURS_H
#define GEOD_HOURS_H

#include <stdbool.h>

/* Does `hours` parse (NULL does not)? */
bool hours_valid(const char *hours);

/* Is the place open on weekday (0 = Monday) at minute (0..1439) of local time? Unknown or
 * unparsable hours are never "open": the filter only keeps places known to be open. */
bool hours_open(const char *hours, int weekday, int minute);

#endif
