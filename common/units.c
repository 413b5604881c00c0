// SPDX-License-Identifier: BSD-2-Clause
/* Durations and sizes as people write them (30s, 5m, 500M), for every tool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "units.h"

struct unit {
	const char *suffix;
	uint64_t scale;
};

static const struct unit duration_units[] = {
	{ "", USEC_PER_SEC },
	{ "ms", 1000 },
	{ "s", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC },
	{ "d", 86400 * USEC_PER_SEC },
	{ "w", 7 * 86400 * USEC_PER_SEC },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "", 1 },	     { "B", 1 },	   { "K", 1ULL << 10 }, { "KB", 1ULL << 10 },
	{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "G", 1ULL << 30 }, { "GB", 1ULL << 30 },
	{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 }, { NULL, 0 },
};

/* Parses digits followed by one of units' suffixes into a positive value
 * times the unit's scale. Returns 0, -EINVAL or -ERANGE. */
static int parse_scaled(const char *s, const struct unit *units, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	for (; units->suffix; units++) {
		if (strcmp(end, units->suffix))
			continue;
		if (!v)
			return -EINVAL;
		if (v > UINT64_MAX / units->scale)
			return -ERANGE;
		*out = v * units->scale;
		return 0;
	}
	return -EINVAL;
}

int units_parse_duration(const char *s, uint64_t *us)
{
	return parse_scaled(s, duration_units, us);
}

int units_parse_size(const char *s, uint64_t *bytes)
{
	return parse_scaled(s, size_units, bytes);
}
