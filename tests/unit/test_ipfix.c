// SPDX-License-Identifier: BSD-2-Clause
/* The IPFIX encoder against byte strings written by hand from RFC 7011 and
 * IANA's element registry: header, template set, IPv4 and IPv6 records,
 * variable-length strings, sequence numbers, splitting, template refresh. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ipfix.h"

#define NOW 1700000002u /* 0x6553f102 */
#define DOMAIN 7

/* The messages an encoder emitted, copied. */
struct sent {
	uint8_t msg[16][IPFIX_MESSAGE_MAX];
	size_t len[16];
	uint32_t records[16];
	int n;
	int fail; /* emit returns this */
};

static int collect(const uint8_t *msg, size_t len, uint32_t records, void *arg)
{
	struct sent *s = arg;

	assert_true(s->n < 16);
	memcpy(s->msg[s->n], msg, len);
	s->len[s->n] = len;
	s->records[s->n] = records;
	s->n++;
	return s->fail;
}

/* Bytes from hex text: pairs of digits, anything else (spaces, newlines)
 * between them ignored. Returns the count. */
static size_t unhex(const char *text, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (*text) {
		if (isxdigit((unsigned char)text[0]) && isxdigit((unsigned char)text[1])) {
			char pair[3] = { text[0], text[1], '\0' };

			assert_true(n < size);
			out[n++] = (uint8_t)strtoul(pair, NULL, 16);
			text += 2;
		} else {
			text++;
		}
	}
	return n;
}

/* Checks len bytes at got against the hex text want, saying where they
 * first differ. */
static void assert_bytes(const uint8_t *got, size_t len, const char *want)
{
	static uint8_t buf[IPFIX_MESSAGE_MAX];
	size_t n = unhex(want, buf, sizeof(buf)), i;

	for (i = 0; i < n && i < len; i++)
		if (got[i] != buf[i])
			fail_msg("byte %zu: got %02x, want %02x", i, got[i], buf[i]);
	assert_int_equal(len, n);
}

/* The template set, by hand: set id 2, length 204; template 256 (IPv4)
 * then 257 (IPv6), 19 fields each; enterprise elements with bit 15 set
 * and 32473 (0x00007ed9) after their length; variable length 0xffff. */
#define TEMPLATE_FIELDS(SRC, DST, ALEN)                                                          \
	"0098 0008  0099 0008  0001 0008  0002 0008 "  /* start, end ms, octets, packets */     \
	"8004 0008 00007ed9  8005 0008 00007ed9 "      /* dropped packets, bytes */             \
	SRC " " ALEN "  " DST " " ALEN "  000a 0004 " /* addresses, ingressInterface */        \
	"0007 0002  000b 0002  003a 0002  0006 0002 "  /* ports, vlanId, tcpControlBits */      \
	"0004 0001  003d 0001  0088 0001 "             /* protocol, direction, end reason */    \
	"8003 0001 00007ed9  8001 ffff 00007ed9  8002 ffff 00007ed9 " /* encrypted, app */
#define TEMPLATE_SET                                                                             \
	"0002 00cc "                                                                             \
	"0100 0013 " TEMPLATE_FIELDS("0008", "000c", "0004")                                    \
	"0101 0013 " TEMPLATE_FIELDS("001b", "001c", "0010")

/* TCP over IPv4 192.0.2.1:40000 -> 198.51.100.7:443 on ifindex 3, ended by
 * FIN, TLS to example.test. */
static struct flow_record v4_record(void)
{
	struct flow_record r = { 0 };
	static char info[] = "example.test";

	memcpy(r.key.src_addr, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(r.key.dst_addr, (uint8_t[]){ 198, 51, 100, 7 }, 4);
	r.key.ifindex = 3;
	r.key.src_port = 40000;
	r.key.dst_port = 443;
	r.key.proto = 6;
	r.key.ip_version = 4;
	r.key.direction = 0;
	r.first_seen_us = 1700000000123456ULL;
	r.last_seen_us = 1700000004567999ULL;
	r.packets = 3;
	r.bytes = 1500;
	r.tcp_flags = 0x1b;
	r.end_reason = FLOW_END_FIN;
	r.app_proto = FLOW_APP_TLS;
	r.encrypted = 1;
	r.app_info = info;
	return r;
}

#define V4_RECORD                                                                                \
	"0000018bcfe5687b 0000018bcfe579d7 " /* 1700000000123 ms, 1700000004567 ms */          \
	"00000000000005dc 0000000000000003 " /* 1500 octets, 3 packets */                      \
	"0000000000000000 0000000000000000 " /* nothing dropped */                             \
	"c0000201 c6336407 00000003 "        /* addresses, ifindex 3 */                        \
	"9c40 01bb 0000 001b "               /* ports 40000, 443, no VLAN, FIN SYN PSH ACK */  \
	"06 00 03 01 "                       /* TCP, ingress, end of flow detected, encrypted */ \
	"03 746c73 "                         /* "tls" */                                        \
	"0c 6578616d706c652e74657374"        /* "example.test" */

/* UDP over IPv6 2001:db8::1:5353 -> 2001:db8::2:53 in VLAN 100, egress on
 * ifindex 2, ended idle, nothing found, 2 packets of 120 bytes dropped. */
static struct flow_record v6_record(void)
{
	struct flow_record r = { 0 };

	r.key.src_addr[0] = 0x20;
	r.key.src_addr[1] = 0x01;
	r.key.src_addr[2] = 0x0d;
	r.key.src_addr[3] = 0xb8;
	memcpy(r.key.dst_addr, r.key.src_addr, 4);
	r.key.src_addr[15] = 1;
	r.key.dst_addr[15] = 2;
	r.key.ifindex = 2;
	r.key.src_port = 5353;
	r.key.dst_port = 53;
	r.key.vlan = 100;
	r.key.proto = 17;
	r.key.ip_version = 6;
	r.key.direction = 1;
	r.first_seen_us = 1700000000000999ULL;
	r.last_seen_us = 1700000000001000ULL;
	r.packets = 2;
	r.bytes = 120;
	r.dropped_packets = 2;
	r.dropped_bytes = 120;
	r.end_reason = FLOW_END_IDLE;
	r.encrypted = -1;
	return r;
}

#define V6_RECORD                                                                                \
	"0000018bcfe56800 0000018bcfe56801 " /* 1700000000000 ms, 1700000000001 ms */          \
	"0000000000000078 0000000000000002 " /* 120 octets, 2 packets */                       \
	"0000000000000002 0000000000000078 " /* all of it dropped */                           \
	"20010db8000000000000000000000001 "                                                     \
	"20010db8000000000000000000000002 "                                                     \
	"00000002 14e9 0035 0064 0000 "      /* ifindex 2, ports 5353, 53, VLAN 100, no flags */ \
	"11 01 01 ff "                       /* UDP, egress, idle timeout, unknown */           \
	"00 00"                              /* no app_proto, no app_info */

static struct ipfix_opts opts(size_t size)
{
	return (struct ipfix_opts){ .domain = DOMAIN,
				    .enterprise = IPFIX_PEN_DEFAULT,
				    .message_size = size };
}

static void test_sizes(void **state)
{
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(IPFIX_MESSAGE_MIN - 1);

	/* 16 header + 204 templates + 4 set header + 370 longest record. */
	assert_int_equal(IPFIX_MESSAGE_MIN, 594);
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, NULL), -EINVAL);
	o.message_size = IPFIX_MESSAGE_MAX + 1;
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, NULL), -EINVAL);
	o.message_size = IPFIX_MESSAGE_MIN;
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, NULL), 0);
	ipfix_encoder_free(&e);
}

static void test_end_reasons(void **state)
{
	assert_int_equal(ipfix_end_reason(FLOW_END_IDLE), 1);
	assert_int_equal(ipfix_end_reason(FLOW_END_ACTIVE), 2);
	assert_int_equal(ipfix_end_reason(FLOW_END_FIN), 3);
	assert_int_equal(ipfix_end_reason(FLOW_END_RST), 3);
	assert_int_equal(ipfix_end_reason(FLOW_END_SHUTDOWN), 4);
}

/* The first message: header, templates, one IPv4 record; nothing is sent
 * before the flush, and an empty flush sends nothing. */
static void test_first_message(void **state)
{
	static struct sent s;
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(1452);
	struct flow_record r = v4_record();

	memset(&s, 0, sizeof(s));
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(ipfix_add(&e, &r, NOW - 1), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.records[0], 1);
	/* 16 + 204 + 4 + 89 = 313 bytes; export time the flush's; sequence 0. */
	assert_bytes(s.msg[0], s.len[0],
		     "000a 0139 6553f102 00000000 00000007 " TEMPLATE_SET
		     "0100 005d " V4_RECORD);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	assert_int_equal(s.n, 1);
	ipfix_encoder_free(&e);
}

/* An IPv6 record after an IPv4 one: a second data set right after the
 * first, with no padding (RFC 7011, 3.3.1 makes it optional); the next
 * message has no templates and its sequence number counts both records. */
static void test_two_sets(void **state)
{
	static struct sent s;
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(1452);
	struct flow_record r4 = v4_record(), r6 = v6_record();

	memset(&s, 0, sizeof(s));
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
	assert_int_equal(ipfix_add(&e, &r4, NOW), 0);
	assert_int_equal(ipfix_add(&e, &r6, NOW), 0);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	/* 313 + 4 + 98 = 415 */
	assert_bytes(s.msg[0], s.len[0],
		     "000a 019f 6553f102 00000000 00000007 " TEMPLATE_SET "0100 005d " V4_RECORD
		     "0101 0066 " V6_RECORD);
	assert_int_equal(ipfix_add(&e, &r6, NOW + 1), 0);
	assert_int_equal(ipfix_add(&e, &r6, NOW + 1), 0);
	assert_int_equal(ipfix_flush(&e, NOW + 1), 0);
	assert_bytes(s.msg[1], s.len[1],
		     "000a 00d8 6553f103 00000002 00000007 0101 00c8 " V6_RECORD V6_RECORD);
	ipfix_encoder_free(&e);
}

/* app_info of 254 bytes takes a one-byte length, of 255 the three-byte
 * form (255, then two bytes), and a longer one is cut to 255. */
static void test_long_strings(void **state)
{
	static struct sent s;
	static const size_t lens[] = { 254, 255, 300 };
	static const char *const prefix[] = { "fe", "ff00ff", "ff00ff" };
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(1452);
	char info[301], want[2048];
	size_t i;

	for (i = 0; i < 3; i++) {
		struct flow_record r = v6_record();
		size_t n = lens[i] < 255 ? lens[i] : 255, used;

		memset(&s, 0, sizeof(s));
		memset(info, 'a', lens[i]);
		info[lens[i]] = '\0';
		r.app_info = info;
		assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
		assert_int_equal(ipfix_add(&e, &r, NOW), 0);
		assert_int_equal(ipfix_flush(&e, NOW), 0);
		/* The fixed part, then no app_proto, then app_info. */
		used = (size_t)snprintf(want, sizeof(want), "%s", V6_RECORD);
		want[used - 2] = '\0'; /* the last "00": app_info's length */
		used = strlen(want);
		used += (size_t)snprintf(want + used, sizeof(want) - used, "%s", prefix[i]);
		while (n--)
			used += (size_t)snprintf(want + used, sizeof(want) - used, "61");
		assert_bytes(s.msg[0] + 16 + 204 + 4, s.len[0] - 16 - 204 - 4, want);
		ipfix_encoder_free(&e);
	}
}

/* At the smallest size the first message takes 4 IPv4 records of 89 bytes
 * after the templates (224 + 356 = 580), the next 6 (20 + 534 = 554): 13
 * records are messages of 4, 6 and 3 with sequence numbers 0, 4 and 10. */
static void test_split(void **state)
{
	static struct sent s;
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(IPFIX_MESSAGE_MIN);
	struct flow_record r = v4_record();
	int i;

	memset(&s, 0, sizeof(s));
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
	for (i = 0; i < 13; i++)
		assert_int_equal(ipfix_add(&e, &r, NOW), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	assert_int_equal(s.n, 3);
	assert_bytes(s.msg[0], 16, "000a 0244 6553f102 00000000 00000007");
	assert_bytes(s.msg[0] + 16, 4, "0002 00cc");
	assert_bytes(s.msg[0] + 220, 4, "0100 0168"); /* 4 + 4 * 89 */
	assert_int_equal(s.len[0], 580);
	assert_bytes(s.msg[1], 20, "000a 022a 6553f102 00000004 00000007 0100 021a");
	assert_int_equal(s.len[1], 554);
	assert_bytes(s.msg[2], 20, "000a 011f 6553f102 0000000a 00000007 0100 010f");
	assert_int_equal(s.len[2], 287);
	assert_int_equal(s.records[0] + s.records[1] + s.records[2], 13);
	ipfix_encoder_free(&e);
}

/* Templates every 2 messages: in the first and third; by time: a flush
 * with nothing else sends the templates alone once refresh_s has passed. */
static void test_refresh(void **state)
{
	static struct sent s;
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(1452);
	struct flow_record r = v4_record();
	int i;

	memset(&s, 0, sizeof(s));
	o.refresh_messages = 2;
	o.refresh_s = 600;
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ipfix_add(&e, &r, NOW), 0);
		assert_int_equal(ipfix_flush(&e, NOW), 0);
	}
	assert_int_equal(s.n, 4);
	for (i = 0; i < 4; i++)
		assert_bytes(s.msg[i] + 16, 2, i % 2 ? "0100" : "0002");
	/* The third message's templates were at NOW: 599 s later nothing. */
	assert_int_equal(ipfix_flush(&e, NOW + 599), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(ipfix_flush(&e, NOW + 600), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.records[4], 0);
	/* 0x6553f102 + 600 = 0x6553f35a; 4 records before it. */
	assert_bytes(s.msg[4], s.len[4], "000a 00dc 6553f35a 00000004 00000007 " TEMPLATE_SET);
	ipfix_encoder_free(&e);
}

/* A failed emit is passed on; the message is gone, and the next one's
 * sequence number still counts its records, as a lost datagram's would. */
static void test_emit_failure(void **state)
{
	static struct sent s;
	struct ipfix_encoder e;
	struct ipfix_opts o = opts(1452);
	struct flow_record r = v4_record();

	memset(&s, 0, sizeof(s));
	s.fail = -ECONNREFUSED;
	assert_int_equal(ipfix_encoder_init(&e, &o, collect, &s), 0);
	assert_int_equal(ipfix_add(&e, &r, NOW), 0);
	assert_int_equal(ipfix_flush(&e, NOW), -ECONNREFUSED);
	s.fail = 0;
	assert_int_equal(ipfix_add(&e, &r, NOW), 0);
	assert_int_equal(ipfix_flush(&e, NOW), 0);
	assert_int_equal(s.n, 2);
	assert_bytes(s.msg[1], 20, "000a 006d 6553f102 00000001 00000007 0100 005d");
	ipfix_encoder_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),	      cmocka_unit_test(test_end_reasons),
		cmocka_unit_test(test_first_message), cmocka_unit_test(test_two_sets),
		cmocka_unit_test(test_long_strings),  cmocka_unit_test(test_split),
		cmocka_unit_test(test_refresh),	      cmocka_unit_test(test_emit_failure),
	};

	return cmocka_run_group_tests_name("ipfix", tests, NULL, NULL);
}
