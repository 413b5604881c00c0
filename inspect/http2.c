// SPDX-License-Identifier: BSD-2-Clause
/* HTTP/2 over cleartext TCP with prior knowledge: the client connection preface (RFC 9113 3.4). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

#define HTTP2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
/* "PRI * HTTP/2": from here on no HTTP/1 request line can be the same bytes. */
#define HTTP2_DISTINCT 12
#define HTTP2_FRAME_HEADER 9
#define HTTP2_FRAME_TYPE_AT 3

int inspect_http2(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	result_clear(r);
	if (!buf || len < HTTP2_DISTINCT || !is_prefix_of(buf, len, HTTP2_PREFACE))
		return 0;
	r->proto = INSPECT_HTTP2;
	r->encrypted = 0;
	if (len < INSPECT_HTTP2_PREFACE_LEN)
		return 1;
	r->http2.preface = true;
	set_info(r, "preface");
	if (len - INSPECT_HTTP2_PREFACE_LEN >= HTTP2_FRAME_HEADER) {
		r->http2.have_frame = true;
		r->http2.frame_type = buf[INSPECT_HTTP2_PREFACE_LEN + HTTP2_FRAME_TYPE_AT];
	}
	return 1;
}
