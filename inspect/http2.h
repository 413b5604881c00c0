/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/2 over cleartext TCP with prior knowledge: the client connection preface (RFC 9113 3.4). */
#ifndef INSPECT_HTTP2_H
#define INSPECT_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define INSPECT_HTTP2_PREFACE_LEN 24

struct inspect_http2 {
	/* The whole preface is there (a cut one is still HTTP/2 from "PRI * HTTP/2" on). */
	bool preface;
	/* The type of the frame after the preface once its 9-byte header is whole (RFC 9113
	 * 4.1; a client's first is SETTINGS, 4), and that it was there. */
	bool have_frame;
	uint8_t frame_type;
};

struct inspect_result;

/*
 * The client connection preface of HTTP/2 with prior knowledge, or as much
 * of it as a cut buffer holds from "PRI * HTTP/2" on: before that, the same
 * bytes may still be an HTTP/1 request with the unknown method PRI, which
 * inspect_http() takes only with its whole line ending in " HTTP/1.x", so
 * neither row claims the other's. (An h2c upgrade is an HTTP/1.1 request:
 * inspect_http() marks it.) The server's side starts with a bare SETTINGS
 * frame, too little to tell: not recognised. As every inspector (inspect.h):
 * 1 with r filled, 0 with r cleared.
 *
 * info: "preface" once the preface is whole, "" while it is cut. HPACK
 * makes the requests' fields need the connection's state: not read.
 */
int inspect_http2(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_HTTP2_H */
