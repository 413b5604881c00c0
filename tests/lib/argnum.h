/* SPDX-License-Identifier: BSD-2-Clause */
/* Whole-number command-line values of the test and benchmark tools. */
#ifndef ARGNUM_H
#define ARGNUM_H

#include <stdint.h>

/* Parses s, the value of option name of program prog, into *out. Returns 0,
 * or -1 after printing "prog: name must be a whole number from min to max"
 * when it is not one in [min, max]. */
int argnum_u32(const char *prog, const char *name, const char *s, uint32_t min, uint32_t max,
	       uint32_t *out);

#endif /* ARGNUM_H */
