/* SPDX-License-Identifier: BSD-2-Clause */
/* What every inspector's text fields hold, and the sizes they share. */
#ifndef INSPECT_FIELDS_H
#define INSPECT_FIELDS_H

/*
 * Text fields, info included, are NUL-terminated printable ASCII: a byte
 * outside 0x20..0x7e, and the backslash itself, is written as \xHH (two
 * lower-case hex digits); in a DNS name a dot inside a label is written
 * \x2e, so that dots only ever separate labels; in a host name (a TLS
 * server name, an HTTP Host or authority) a space is written \x20, so
 * that a name is one word and info's parts stay apart. A text too long
 * for its array is cut at a whole character or escape.
 */

/* Array sizes, NUL included. */
#define INSPECT_INFO_SIZE 256 /* the flows table's app_info */
#define INSPECT_NAME_SIZE 256 /* host names: 253 characters at most, unescaped */

#endif /* INSPECT_FIELDS_H */
