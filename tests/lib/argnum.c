// SPDX-License-Identifier: BSD-2-Clause
/* Whole-number command-line values of the test and benchmark tools. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "argnum.h"

int argnum_u32(const char *prog, const char *name, const char *s, uint32_t min, uint32_t max,
	       uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s must be a whole number from %u to %u: '%s'\n", prog, name,
			min, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}
