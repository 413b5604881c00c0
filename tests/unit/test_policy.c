// SPDX-License-Identifier: BSD-2-Clause
/* The policy file: every construct, every error with its line, hostile
 * files, rules from flowdb-ctl's parts, the guard rails against a brute-force
 * reference, and random rules written out by hand and by the canonical text,
 * read back the same. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "policy.h"
#include "units.h"

#define S USEC_PER_SEC

/* Writes content (n bytes) to a new temporary file, parses it, and leaves
 * what was said on err in *msgs (malloc'd) and the file's name in path. */
static int parse_bytes(const char *content, size_t n, struct policy *p, char **msgs, char path[64])
{
	size_t size;
	FILE *err;
	int fd, ret;

	strcpy(path, "/tmp/test_policy.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	err = open_memstream(msgs, &size);
	ret = policy_parse_file(path, p, err);
	fclose(err);
	unlink(path);
	return ret;
}

static int parse_text(const char *content, struct policy *p, char **msgs, char path[64])
{
	return parse_bytes(content, strlen(content), p, msgs, path);
}

/* Parses one line as flowdb-ctl would; the error, if any, in why. */
static int line(const char *text, struct policy_rule *r, char *why)
{
	why[0] = '\0';
	return policy_parse_line(text, r, why, POLICY_ERR_MAX);
}

static void net(struct addr_net *n, const char *text)
{
	memset(n, 0, sizeof(*n));
	assert_int_equal(addr_parse_net(text, n), 0);
}

/* Every construct of the grammar, read into the fields it sets, and its
 * canonical text. */
static void test_constructs(void **state)
{
	static const struct {
		const char *text;
		const char *canonical;
	} cases[] = {
		{ "allow 10.0.0.0/8", "allow 10.0.0.0/8" },
		{ "allow src 10.0.0.0/8", "allow src 10.0.0.0/8" },
		{ "allow dst 2001:db8::/32 proto tcp port 443",
		  "allow dst 2001:db8::/32 proto tcp port 443" },
		{ "allow 192.0.2.1/32", "allow 192.0.2.1" },
		{ "allow ::/0", "allow ::/0" },
		{ "allow 0.0.0.0/0 reason \"all\"", "allow 0.0.0.0/0 reason \"all\"" },
		{ "block src 203.0.113.0/24 for 1h reason \"text\"",
		  "block src 203.0.113.0/24 for 1h reason \"text\"" },
		{ "block dst 198.51.100.7 proto tcp port 25",
		  "block dst 198.51.100.7 proto tcp port 25" },
		{ "block src 2001:DB8:0:0::1", "block src 2001:db8::1" },
		{ "block src 10.0.0.0/8 for 60m", "block src 10.0.0.0/8 for 1h" },
		{ "block src 10.0.0.0/8 for 90s", "block src 10.0.0.0/8 for 90s" },
		{ "block src 10.0.0.0/8 for 1500ms", "block src 10.0.0.0/8 for 1500ms" },
		{ "block src 10.0.0.0/8 for 14d", "block src 10.0.0.0/8 for 2w" },
		{ "block src 10.0.0.0/8 for 30", "block src 10.0.0.0/8 for 30s" },
		{ "block src 10.0.0.0/8 proto 47", "block src 10.0.0.0/8 proto gre" },
		{ "block src 10.0.0.0/8 proto 253", "block src 10.0.0.0/8 proto 253" },
		{ "block src 10.0.0.0/8 proto icmpv6", "block src 10.0.0.0/8 proto icmpv6" },
		{ "block src 10.0.0.0/8 proto sctp port 1",
		  "block src 10.0.0.0/8 proto sctp port 1" },
		{ "block src 10.0.0.0/8 proto udplite port 65535",
		  "block src 10.0.0.0/8 proto udplite port 65535" },
		{ "block src 10.0.0.0/8 reason \"a \\\"b\\\" \\\\ c\" port 9 proto 17",
		  "block src 10.0.0.0/8 proto udp port 9 reason \"a \\\"b\\\" \\\\ c\"" },
		{ "block src 10.0.0.0/8 reason \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\"",
		  "block src 10.0.0.0/8 reason \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\"" },
		{ "block src 10.0.0.0/8 reason \"\"", "block src 10.0.0.0/8" },
		{ "block src 10.0.0.0/8 reason \"# not a comment\" # a comment",
		  "block src 10.0.0.0/8 reason \"# not a comment\"" },
		{ "\tblock   src\t10.0.0.0/8#comment", "block src 10.0.0.0/8" },
		{ "limit src/32 1000pps", "limit src/32 1000pps" },
		{ "limit src/32 1000pps burst 1000", "limit src/32 1000pps" },
		{ "limit src/32 1000pps burst 2000", "limit src/32 1000pps burst 2000" },
		{ "limit src/24 20Mbps burst 2MB proto udp port 53",
		  "limit src/24 20Mbps burst 2MB proto udp port 53" },
		{ "limit src/24 20000kbps burst 2048K", "limit src/24 20Mbps burst 2MB" },
		{ "limit src/24 1500bps burst 1500", "limit src/24 1500bps burst 1500B" },
		{ "limit src/24 1Gbps burst 125000000", "limit src/24 1Gbps" },
		{ "limit src/32 50/s syn", "limit src/32 50/s syn" },
		{ "limit src/32 50/s syn proto tcp port 80", "limit src/32 50/s syn port 80" },
		{ "limit src/32/64 5pps", "limit src/32/64 5pps" },
		{ "limit src/24/64 5pps", "limit src/24 5pps" },
		{ "limit src/0/0 1000Gbps", "limit src/0/0 1000Gbps" },
		{ "limit src/0 1000000000pps", "limit src/0 1000000000pps" },
		{ "limit src/16/48 7pps reason \"r\"", "limit src/16/48 7pps reason \"r\"" },
	};
	char why[POLICY_ERR_MAX], text[POLICY_TEXT_MAX];
	struct policy_rule r;
	struct addr_net n;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (line(cases[i].text, &r, why) != 1)
			fail_msg("'%s': %s", cases[i].text, why);
		assert_string_equal(policy_rule_text(&r, text, sizeof(text)), cases[i].canonical);
		assert_int_equal(r.origin, POLICY_ORIGIN_CTL);
		assert_int_equal(r.line, 0);
	}

	assert_int_equal(line("allow 10.0.0.0/8", &r, why), 1);
	net(&n, "10.0.0.0/8");
	assert_int_equal(r.kind, POLICY_ALLOW);
	assert_int_equal(r.side, POLICY_SIDE_ANY);
	assert_memory_equal(&r.net, &n, sizeof(n));
	assert_int_equal(r.proto, 0);
	assert_int_equal(r.port, 0);

	assert_int_equal(
		line("block dst 2001:db8::7 proto tcp port 25 for 10m reason \"x\"", &r, why), 1);
	net(&n, "2001:db8::7");
	assert_int_equal(r.kind, POLICY_BLOCK);
	assert_int_equal(r.side, POLICY_SIDE_DST);
	assert_memory_equal(&r.net, &n, sizeof(n));
	assert_int_equal(r.net.bits, 128);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.port, 25);
	assert_int_equal(r.duration_us, 600 * S);
	assert_int_equal(r.expires_us, 0);
	assert_string_equal(r.reason, "x");

	assert_int_equal(line("limit src/24 20Mbps proto udp", &r, why), 1);
	assert_int_equal(r.kind, POLICY_LIMIT);
	assert_int_equal(r.unit, POLICY_BPS);
	assert_int_equal(r.rate, 20000000);
	assert_int_equal(r.burst, 2500000); /* one second: 20 Mbit in bytes */
	assert_int_equal(r.limit_bits4, 24);
	assert_int_equal(r.limit_bits6, 64);
	assert_int_equal(r.proto, 17);

	assert_int_equal(line("limit src/32 1000pps burst 2000", &r, why), 1);
	assert_int_equal(r.unit, POLICY_PPS);
	assert_int_equal(r.rate, 1000);
	assert_int_equal(r.burst, 2000);
	assert_int_equal(r.limit_bits6, 128);

	assert_int_equal(line("limit src/32 50/s syn", &r, why), 1);
	assert_int_equal(r.unit, POLICY_SYN);
	assert_int_equal(r.rate, 50);
	assert_int_equal(r.burst, 50);
	assert_int_equal(r.proto, 6);

	assert_int_equal(line("limit src/24 7bps", &r, why), 1);
	assert_int_equal(r.burst, 1); /* a second of 7 bits, rounded up to a byte */

	assert_int_equal(line("", &r, why), 0);
	assert_int_equal(line("   # only a comment", &r, why), 0);
	assert_int_equal(line("mode monitor", &r, why), -EINVAL);
	assert_string_equal(why, "mode is a setting of the policy file, not a rule");
}

/*
 * Every error, each in a file among valid lines: one message per bad line,
 * all of them, each naming its own line, and no rules kept.
 */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "allow 10.0.0.1/8", "10.0.0.1/8 has host bits set: the network is 10.0.0.0/8" },
		{ "block src 2001:db8::1/32",
		  "2001:db8::1/32 has host bits set: the network is 2001:db8::/32" },
		{ "allow 10.0.0.0/33", "'10.0.0.0/33' is not an IPv4 or IPv6 address or network" },
		{ "allow 10.0.0/8", "'10.0.0/8' is not an IPv4 or IPv6 address or network" },
		{ "allow fe80::1%eth0",
		  "'fe80::1%eth0' is not an IPv4 or IPv6 address or network" },
		{ "allow 10.0.0.0/-8", "'10.0.0.0/-8' is not an IPv4 or IPv6 address or network" },
		{ "allow 10.0.0.0/999999999999999999999",
		  "'10.0.0.0/999999999999999999999' is not an IPv4 or IPv6 address or network" },
		{ "allow", "allow needs a network" },
		{ "allow src", "allow needs a network" },
		{ "block 1.2.3.4", "block needs src or dst before the network" },
		{ "block any 1.2.3.4", "block needs src or dst before the network" },
		{ "block src", "block needs a network" },
		{ "block src 1.2.3.4 for 1h for 2h", "for given twice" },
		{ "block src 1.2.3.4 proto tcp proto udp", "proto given twice" },
		{ "block src 1.2.3.4 proto", "proto needs a value" },
		{ "block src 1.2.3.4 proto TCP",
		  "unknown protocol 'TCP' (a name such as tcp, udp, icmp, icmpv6, or a number 1-255)" },
		{ "block src 1.2.3.4 proto 256",
		  "unknown protocol '256' (a name such as tcp, udp, icmp, icmpv6, or a number 1-255)" },
		{ "block src 1.2.3.4 proto 0",
		  "proto 0 matches no packet (leave proto out for any)" },
		{ "block src 1.2.3.4 port 25", "port 25 needs proto tcp, udp, udplite or sctp" },
		{ "block src 1.2.3.4 proto icmp port 25",
		  "port 25 with proto icmp: only tcp, udp, udplite and sctp have ports" },
		{ "block src 1.2.3.4 proto 200 port 25",
		  "port 25 with proto 200: only tcp, udp, udplite and sctp have ports" },
		{ "block src 1.2.3.4 proto tcp port 0",
		  "port '0' is not a number from 1 to 65535" },
		{ "block src 1.2.3.4 proto tcp port 65536",
		  "port '65536' is not a number from 1 to 65535" },
		{ "block src 1.2.3.4 proto tcp port +25",
		  "port '+25' is not a number from 1 to 65535" },
		{ "block src 1.2.3.4 for 0s", "for '0s': bad duration (use e.g. 30s, 5m, 1h, 7d)" },
		{ "block src 1.2.3.4 for 1.5h",
		  "for '1.5h': bad duration (use e.g. 30s, 5m, 1h, 7d)" },
		{ "block src 1.2.3.4 for 5201w",
		  "for 5201w: at most 5200w (leave 'for' out for ever)" },
		{ "block src 1.2.3.4 for 99999999999999999999999s",
		  "for 99999999999999999999999s: at most 5200w (leave 'for' out for ever)" },
		{ "block src 1.2.3.4 burst 5",
		  "unexpected 'burst' in block rule (expected proto, port, for or reason)" },
		{ "allow 1.2.3.4 for 1h",
		  "unexpected 'for' in allow rule (expected proto, port or reason)" },
		{ "limit src/32 5pps for 1h",
		  "unexpected 'for' in limit rule (expected burst, proto, port or reason)" },
		{ "block src 1.2.3.4 reason text",
		  "reason takes a quoted text, reason \"...\", not 'text'" },
		{ "block src 1.2.3.4 reason \"a\\tb\"",
		  "reason: unknown escape '\\t' (only \\\" and \\\\)" },
		{ "block src 1.2.3.4 reason \"open", "no closing quote for the text at column 26" },
		{ "block src 1.2.3.4 reason \"open\\\"",
		  "no closing quote for the text at column 26" },
		{ "block src 1.2.3.4 reason \"a\"b",
		  "no space after the quoted text at column 26" },
		{ "block src 1.2.3.4 rea\"son", "a quote inside a word at column 22" },
		{ "block src 1.2.3.4 reason \"a\tb\"",
		  "reason has a byte that is not printable UTF-8 (0x09, byte 2 of it)" },
		{ "block src 1.2.3.4 reason \"\xc3\"",
		  "reason has a byte that is not printable UTF-8 (0xc3, byte 1 of it)" },
		{ "block src 1.2.3.4 reason \"\xc0\xaf\"",
		  "reason has a byte that is not printable UTF-8 (0xc0, byte 1 of it)" },
		{ "block src 1.2.3.4 reason \"x\xe0\x80\xaf\"",
		  "reason has a byte that is not printable UTF-8 (0xe0, byte 2 of it)" },
		{ "block src 1.2.3.4 reason \"\xed\xa0\x80\"",
		  "reason has a byte that is not printable UTF-8 (0xed, byte 1 of it)" },
		{ "block src 1.2.3.4 reason \"\xf4\x90\x80\x80\"",
		  "reason has a byte that is not printable UTF-8 (0xf4, byte 1 of it)" },
		{ "block src 1.2.3.4 reason \"\xc2\x85\"",
		  "reason has a byte that is not printable UTF-8 (0xc2, byte 1 of it)" },
		{ "block src 1.2.3.4 reason \"ab\xe2\x80\xae\"",
		  "reason has a byte that is not printable UTF-8 (0xe2, byte 3 of it)" },
		{ "block src 1.2.3.4 reason \"\x7f\"",
		  "reason has a byte that is not printable UTF-8 (0x7f, byte 1 of it)" },
		{ "block src 1.2.3.4 \xff",
		  "byte 0xff at column 19: outside quotes and comments a line is printable ASCII" },
		{ "block src 1.2.3.4\r\r",
		  "byte 0x0d at column 18: outside quotes and comments a line is printable ASCII" },
		{ "block\vsrc 1.2.3.4",
		  "byte 0x0b at column 6: outside quotes and comments a line is printable ASCII" },
		{ "frobnicate 1.2.3.4",
		  "unknown rule 'frobnicate' (expected allow, block, limit, alert, sink or mode)" },
		{ "Allow 1.2.3.4",
		  "unknown rule 'Allow' (expected allow, block, limit, alert, sink or mode)" },
		{ "Alert scan src syn > 5/s",
		  "unknown rule 'Alert' (expected allow, block, limit, alert, sink or mode)" },
		{ "mode", "mode is 'mode enforce' or 'mode monitor'" },
		{ "mode off", "mode is 'mode enforce' or 'mode monitor'" },
		{ "mode monitor enforce", "mode is 'mode enforce' or 'mode monitor'" },
		{ "limit", "limit needs a key and a rate: limit src/N RATE" },
		{ "limit src/32", "limit needs a key and a rate: limit src/N RATE" },
		{ "limit dst/32 5pps",
		  "limit takes src/N or src/N/M (one bucket per source cut to N bits of IPv4, M of "
		  "IPv6), not 'dst/32'" },
		{ "limit src 5pps",
		  "limit takes src/N or src/N/M (one bucket per source cut to N bits of IPv4, M of "
		  "IPv6), not 'src'" },
		{ "limit src/33 5pps", "limit src/33: the IPv4 prefix length is 0 to 32" },
		{ "limit src/ 5pps",
		  "limit takes src/N or src/N/M (one bucket per source cut to N bits of IPv4, M of "
		  "IPv6), not 'src/'" },
		{ "limit src/24/129 5pps", "limit src/24/129: the IPv6 prefix length is 0 to 128" },
		{ "limit src/24/ 5pps", "limit src/24/: the IPv6 prefix length is 0 to 128" },
		{ "limit src/24/64/1 5pps",
		  "limit src/24/64/1: the IPv6 prefix length is 0 to 128" },
		{ "limit src/24 5",
		  "bad rate '5' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP connections)" },
		{ "limit src/24 pps",
		  "bad rate 'pps' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP connections)" },
		{ "limit src/24 5mbps",
		  "bad rate '5mbps' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP connections)" },
		{ "limit src/24 5Tbps",
		  "bad rate '5Tbps' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP connections)" },
		{ "limit src/24 -5pps",
		  "bad rate '-5pps' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP connections)" },
		{ "limit src/24 0pps", "a rate of 0 lets nothing through: write a block rule" },
		{ "limit src/24 1001Gbps", "rate '1001Gbps' is too high: at most 1000Gbps" },
		{ "limit src/24 1000000001pps",
		  "rate '1000000001pps' is too high: at most 1000000000pps" },
		{ "limit src/24 18446744073709551616bps",
		  "rate '18446744073709551616bps' is too high: at most 1000Gbps" },
		{ "limit src/24 5000000000/s syn",
		  "rate '5000000000/s' is too high: at most 1000000000/s syn" },
		{ "limit src/24 50/s",
		  "'50/s' is a rate of SYNs: write '50/s syn' (or Npps for packets)" },
		{ "limit src/24 50/s proto tcp",
		  "'50/s' is a rate of SYNs: write '50/s syn' (or Npps for packets)" },
		{ "limit src/24 50/s syn proto udp",
		  "a syn limit counts TCP SYNs: its proto is tcp" },
		{ "limit src/24 5pps burst 0",
		  "burst '0' is not a count from 1 to 4294967295 (packets)" },
		{ "limit src/24 5pps burst 2MB",
		  "burst '2MB' is not a count from 1 to 4294967295 (packets)" },
		{ "limit src/24 5/s syn burst 4294967296",
		  "burst '4294967296' is not a count from 1 to 4294967295 (SYNs)" },
		{ "limit src/24 5Mbps burst 2mb",
		  "burst '2mb' is not a size from 1 byte to 1TB (e.g. 64KB, 2MB)" },
		{ "limit src/24 5Mbps burst 2T",
		  "burst '2T' is not a size from 1 byte to 1TB (e.g. 64KB, 2MB)" },
		{ "limit src/24 5Mbps burst 99999999999999999999999",
		  "burst '99999999999999999999999' is not a size from 1 byte to 1TB (e.g. 64KB, 2MB)" },
		{ "block src 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23",
		  "more than 24 words" },
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	char path[64], *msgs, *expected, *file;
	size_t esize, fsize;
	struct policy p;
	FILE *e, *f;

	/* One at a time through the line parser. */
	for (i = 0; i < n; i++) {
		char why[POLICY_ERR_MAX];
		struct policy_rule r;

		if (strcmp(cases[i].text, "mode") && strncmp(cases[i].text, "mode ", 5)) {
			assert_int_equal(line(cases[i].text, &r, why), -EINVAL);
			if (strcmp(why, cases[i].message))
				fail_msg("'%s': got '%s'", cases[i].text, why);
		}
	}

	/* All in one file, bad line i at line 2i+2, valid rules between them. */
	f = open_memstream(&file, &fsize);
	for (i = 0; i < n; i++)
		fprintf(f, "block src 192.0.2.%zu\n%s\n", i % 250, cases[i].text);
	fclose(f);
	assert_int_equal(parse_text(file, &p, &msgs, path), -EINVAL);
	e = open_memstream(&expected, &esize);
	for (i = 0; i < n; i++)
		fprintf(e, "flowdb-collector: %s:%zu: %s\n", path, 2 * i + 2, cases[i].message);
	fclose(e);
	assert_string_equal(msgs, expected);
	assert_int_equal(p.n_rules, 0);
	assert_null(p.rules);
	policy_free(&p);
	free(msgs);
	free(expected);
	free(file);
}

/* A valid file: rules in order with their lines, mode, comments, blank
 * lines, CRLF, a byte order mark, no newline at the end. */
static void test_file(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# a policy\r\n"
		"\n"
		"   \t \n"
		"allow 10.0.0.0/8 # the LAN \xff\xfe\x01 anything in a comment\r\n"
		"mode monitor\n"
		"block src 203.0.113.0/24 for 1h reason \"scan\"\n"
		"# block src 1.2.3.4\n"
		"limit src/32 50/s syn";
	char path[64], *msgs, rule[POLICY_TEXT_MAX];
	struct policy p;

	assert_int_equal(parse_text(text, &p, &msgs, path), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(p.mode, POLICY_MONITOR);
	assert_int_equal(p.n_rules, 3);
	assert_string_equal(p.file, path);
	assert_int_equal(p.rules[0].line, 4);
	assert_int_equal(p.rules[0].origin, POLICY_ORIGIN_FILE);
	assert_string_equal(policy_rule_text(&p.rules[0], rule, sizeof(rule)), "allow 10.0.0.0/8");
	assert_int_equal(p.rules[1].line, 6);
	assert_string_equal(policy_rule_text(&p.rules[1], rule, sizeof(rule)),
			    "block src 203.0.113.0/24 for 1h reason \"scan\"");
	assert_int_equal(p.rules[2].line, 8);
	assert_int_equal(p.rules[2].unit, POLICY_SYN);
	policy_free(&p);
	free(msgs);
	policy_free(&p); /* twice is safe */

	/* Empty: enforce, no rules. */
	assert_int_equal(parse_text("", &p, &msgs, path), 0);
	assert_int_equal(p.mode, POLICY_ENFORCE);
	assert_int_equal(p.n_rules, 0);
	policy_free(&p);
	free(msgs);

	/* mode enforce, then twice. */
	assert_int_equal(parse_text("mode enforce\n", &p, &msgs, path), 0);
	assert_int_equal(p.mode, POLICY_ENFORCE);
	policy_free(&p);
	free(msgs);
	assert_int_equal(parse_text("mode monitor\n\nmode monitor\nmode enforce\n", &p, &msgs,
				    path),
			 -EINVAL);
	assert_true(strstr(msgs, ":3: mode given twice (first on line 1)\n"));
	assert_true(strstr(msgs, ":4: mode given twice (first on line 1)\n"));
	policy_free(&p);
	free(msgs);
}

/* Hostile files: long lines, NUL bytes, binary junk, numbers past every
 * range; each one error naming its line, the lines after it still read. */
static void test_hostile(void **state)
{
	size_t big = 3 * 1024 * 1024, i, n;
	char path[64], *msgs, *buf = malloc(big + 16 * 4096), expect[512];
	struct policy p;

	assert_non_null(buf);
	/* A line of exactly POLICY_LINE_MAX bytes is read; one more is not. */
	n = (size_t)sprintf(buf, "block src 10.0.0.0/8 #");
	memset(buf + n, 'x', POLICY_LINE_MAX - n);
	n = POLICY_LINE_MAX;
	buf[n++] = '\n';
	n += (size_t)sprintf(buf + n, "block src 10.0.0.0/8 #");
	memset(buf + n, 'x', POLICY_LINE_MAX - 22 + 1);
	n += POLICY_LINE_MAX - 22 + 1;
	/* A line of 3 MiB without a newline, then a NUL in a comment, then a
	 * bad rule: each named, all three. */
	buf[n++] = '\n';
	memset(buf + n, 'a', big);
	n += big;
	buf[n++] = '\n';
	n += (size_t)sprintf(buf + n, "allow 10.0.0.0/8 # nul:");
	buf[n++] = '\0';
	n += (size_t)sprintf(buf + n, "\nallow 10.0.0.0/8\nblock src 10.0.0.0/8 port 1\n");
	/* The last line, too long and without a newline at the end. */
	memset(buf + n, 'b', 5000);
	n += 5000;
	assert_int_equal(parse_bytes(buf, n, &p, &msgs, path), -EINVAL);
	snprintf(expect, sizeof(expect),
		 "flowdb-collector: %s:2: line longer than 4096 bytes\n"
		 "flowdb-collector: %s:3: line longer than 4096 bytes\n"
		 "flowdb-collector: %s:4: a NUL byte at column 24 (not a text file?)\n",
		 path, path, path);
	assert_memory_equal(msgs, expect, strlen(expect));
	snprintf(expect, sizeof(expect),
		 "flowdb-collector: %s:6: port 1 needs proto tcp, udp, udplite or sctp\n"
		 "flowdb-collector: %s:7: line longer than 4096 bytes\n",
		 path, path);
	if (!strstr(msgs, expect))
		fail_msg("%s", msgs + strlen(msgs) - 300);
	policy_free(&p);
	free(msgs);

	/* Random bytes: never a crash, only errors or rules, each line at most
	 * one message. */
	srand(7);
	for (i = 0; i < 200000; i++) {
		buf[i] = (char)(rand() % 256);
		if (buf[i] == '\n' || i % 50 == 49)
			buf[i] = i % 50 == 49 ? '\n' : 'x';
	}
	parse_bytes(buf, 200000, &p, &msgs, path);
	n = 0;
	snprintf(expect, sizeof(expect), "flowdb-collector: %s:", path);
	for (i = 0; msgs[i]; i++) {
		if (!i || msgs[i - 1] == '\n')
			assert_memory_equal(msgs + i, expect, strlen(expect));
		n += msgs[i] == '\n';
	}
	assert_true(n <= 4000);
	assert_true(n > 3900); /* nearly every line of random bytes is wrong */
	policy_free(&p);
	free(msgs);
	free(buf);
}

/* A file that cannot be read: one line, its errno. A FIFO is refused at
 * once, not waited on. */
static void test_unreadable(void **state)
{
	char dir[] = "/tmp/test_policy_dir.XXXXXX", fifo[64], msgs[512];
	struct policy p;
	FILE *err;

	err = fmemopen(msgs, sizeof(msgs), "w");
	assert_int_equal(policy_parse_file("/nonexistent/policy", &p, err), -ENOENT);
	fclose(err);
	assert_string_equal(msgs,
			    "flowdb-collector: /nonexistent/policy: No such file or directory\n");
	policy_free(&p);

	assert_non_null(mkdtemp(dir));
	err = fmemopen(msgs, sizeof(msgs), "w");
	assert_int_equal(policy_parse_file(dir, &p, err), -EINVAL);
	fclose(err);
	assert_true(strstr(msgs, ": not a regular file\n"));

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	err = fmemopen(msgs, sizeof(msgs), "w");
	assert_int_equal(policy_parse_file(fifo, &p, err), -EINVAL);
	fclose(err);
	assert_true(strstr(msgs, "/fifo: not a regular file\n"));
	unlink(fifo);
	rmdir(dir);
}

/* flowdb-ctl's block add: the same rules as the file's, from parts. */
static void test_block_rule(void **state)
{
	char why[POLICY_ERR_MAX], text[POLICY_TEXT_MAX], reason[POLICY_REASON_MAX + 1];
	struct policy_rule r;

	assert_int_equal(policy_block_rule("203.0.113.0/24", POLICY_SIDE_SRC, 3600 * S, "scan", &r,
					   why, sizeof(why)),
			 0);
	assert_int_equal(r.kind, POLICY_BLOCK);
	assert_int_equal(r.origin, POLICY_ORIGIN_CTL);
	assert_int_equal(r.line, 0);
	assert_string_equal(policy_rule_text(&r, text, sizeof(text)),
			    "block src 203.0.113.0/24 for 1h reason \"scan\"");
	assert_int_equal(policy_block_rule("2001:db8::1", POLICY_SIDE_DST, 0, NULL, &r, why,
					   sizeof(why)),
			 0);
	assert_string_equal(policy_rule_text(&r, text, sizeof(text)), "block dst 2001:db8::1");

	assert_int_equal(policy_block_rule("10.0.0.1/8", POLICY_SIDE_SRC, 0, NULL, &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "10.0.0.1/8 has host bits set: the network is 10.0.0.0/8");
	assert_int_equal(policy_block_rule("nonsense", POLICY_SIDE_SRC, 0, NULL, &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "'nonsense' is not an IPv4 or IPv6 address or network");
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_ANY, 0, NULL, &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "a block is of src or dst");
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 1500, NULL, &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "a block lasts a whole number of milliseconds");
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 5201ULL * 7 * 86400 * S,
					   NULL, &r, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "a block lasts at most 5200w (no duration: for ever)");
	memset(reason, 'r', POLICY_REASON_MAX);
	reason[POLICY_REASON_MAX] = '\0';
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 0, reason, &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "reason is 128 bytes long, at most 127");
	reason[POLICY_REASON_MAX - 1] = '\0';
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 0, reason, &r, why,
					   sizeof(why)),
			 0);
	assert_string_equal(r.reason, reason);
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 0, "a\nb", &r, why,
					   sizeof(why)),
			 -EINVAL);
	assert_string_equal(why,
			    "reason has a byte that is not printable UTF-8 (0x0a, byte 2 of it)");
	/* A reason of 127 quotes: its canonical text holds every escape. */
	memset(reason, '"', POLICY_REASON_MAX - 1);
	assert_int_equal(policy_block_rule("10.0.0.0/8", POLICY_SIDE_SRC, 0, reason, &r, why,
					   sizeof(why)),
			 0);
	policy_rule_text(&r, text, sizeof(text));
	assert_int_equal(strlen(text), strlen("block src 10.0.0.0/8 reason \"\"") + 2 * 127);
}

/* Runs policy_check on the rules of text with the local addresses given;
 * the warnings in *msgs. */
static int check_text(const char *text, const char *const *locals, size_t n_local, char **msgs,
		      char path[64])
{
	struct addr_net local[8];
	struct policy p;
	size_t size, i;
	char *perr;
	FILE *w;
	int ret;

	for (i = 0; i < n_local; i++)
		net(&local[i], locals[i]);
	if (parse_text(text, &p, &perr, path))
		fail_msg("%s", perr);
	free(perr);
	w = open_memstream(msgs, &size);
	ret = policy_check(&p, local, n_local, w);
	fclose(w);
	policy_free(&p);
	return ret;
}

/* The guard rails, each warning exactly. */
static void test_check(void **state)
{
	static const char text[] = "allow 10.0.0.0/8\n" /* 1 */
				   "allow dst 192.0.2.53 proto udp port 53\n" /* 2 */
				   "block src 10.1.0.0/16\n" /* 3: inside 1 */
				   "block src 10.0.0.0/7 proto tcp\n" /* 4: holds 1 */
				   "block dst 192.0.2.0/24\n" /* 5: holds 2, local */
				   "block src 192.0.2.0/24\n" /* 6: local only */
				   "block dst 192.0.2.53 proto tcp\n" /* 7: not udp: local */
				   "block src 198.51.100.0/24\n" /* 8: nothing */
				   "limit src/24 8000bps\n" /* 9: burst 1000 */
				   "limit src/16 12000bps\n" /* 10: burst 1500 */
				   "block src 198.51.100.0/24 for 5m\n" /* 11: repeats 8 */
				   "allow 10.0.0.0/8 proto tcp\n" /* 12: not a repeat */
				   "allow 10.0.0.0/8\n" /* 13: repeats 1 */
				   "block src 2001:db8::/32\n" /* 14: holds local */
				   "block dst 10.0.0.0/8 proto tcp port 22\n"; /* 15: inside 1 */
	static const char *const locals[] = { "192.0.2.53", "2001:db8::1", "127.0.0.1" };
	char path[64], *msgs, *expected;
	size_t size;
	FILE *e;

	assert_int_equal(check_text(text, locals, 3, &msgs, path), 11);
	e = open_memstream(&expected, &size);
	fprintf(e,
		"flowdb-collector: %1$s:3: warning: block src 10.1.0.0/16: never drops: allow "
		"10.0.0.0/8 (line 1) wins over all it matches\n"
		"flowdb-collector: %1$s:4: warning: block src 10.0.0.0/7 proto tcp: allow "
		"10.0.0.0/8 (line 1) inside it wins: what it matches there is not dropped\n"
		"flowdb-collector: %1$s:5: warning: block dst 192.0.2.0/24: allow dst 192.0.2.53 "
		"proto udp port 53 (line 2) inside it wins: what it matches there is not dropped\n"
		"flowdb-collector: %1$s:5: warning: block dst 192.0.2.0/24: covers 192.0.2.53, an "
		"address of this host\n"
		"flowdb-collector: %1$s:6: warning: block src 192.0.2.0/24: covers 192.0.2.53, an "
		"address of this host\n"
		"flowdb-collector: %1$s:7: warning: block dst 192.0.2.53 proto tcp: covers "
		"192.0.2.53, an address of this host\n"
		"flowdb-collector: %1$s:9: warning: limit src/24 8Kbps: a burst of 1000 bytes is "
		"less than a full-size packet (1500 bytes): such packets are always dropped\n"
		"flowdb-collector: %1$s:14: warning: block src 2001:db8::/32: covers 2001:db8::1, an "
		"address of this host\n"
		"flowdb-collector: %1$s:15: warning: block dst 10.0.0.0/8 proto tcp port 22: never "
		"drops: allow 10.0.0.0/8 (line 1) wins over all it matches\n"
		"flowdb-collector: %1$s:13: warning: allow 10.0.0.0/8: repeats line 1: only one of "
		"them applies\n"
		"flowdb-collector: %1$s:11: warning: block src 198.51.100.0/24 for 5m: repeats line "
		"8: only one of them applies\n",
		path);
	fclose(e);
	assert_string_equal(msgs, expected);
	free(msgs);
	free(expected);

	/* Partly: an allow of one protocol over a block of all. */
	assert_int_equal(check_text("allow src 10.0.0.0/8 proto udp\nblock src 10.0.0.0/24\n"
				    "allow dst 10.0.0.0/8\n",
				    NULL, 0, &msgs, path),
			 1);
	assert_true(strstr(msgs, ":2: warning: block src 10.0.0.0/24: allow src 10.0.0.0/8 proto "
				 "udp (line 1) wins over part of what it matches\n"));
	free(msgs);
	/* No warning for sides, protocols or ports that never meet, nor for
	 * the other family. */
	assert_int_equal(check_text("allow dst 10.0.0.0/8\nallow src 10.0.0.0/8 proto udp\n"
				    "allow src 10.0.0.0/8 proto tcp port 80\n"
				    "block src 10.0.0.0/16 proto tcp port 22\n"
				    "block src ::/0\nlimit src/32 12000bps\n",
				    NULL, 0, &msgs, path),
			 0);
	assert_string_equal(msgs, "");
	free(msgs);
}

/* A block with more allows on its network than SCAN_MAX that cannot meet
 * it is left, and said so; one fewer is checked to the end. Rules from
 * flowdb-ctl are named by their text. */
static void test_check_bounded(void **state)
{
	char path[64], *msgs, *text, why[POLICY_ERR_MAX];
	struct policy p;
	struct policy_rule r;
	size_t size;
	FILE *f;
	int i, n;

	for (n = 63; n <= 64; n++) {
		f = open_memstream(&text, &size);
		for (i = 1; i <= n; i++)
			fprintf(f, "allow 10.0.0.0/8 proto udp port %d\n", i);
		fprintf(f, "block src 10.0.0.0/8 proto tcp\nallow 10.0.0.0/8 proto tcp\n");
		fclose(f);
		assert_int_equal(parse_text(text, &p, &msgs, path), 0);
		free(msgs);
		f = open_memstream(&msgs, &size);
		assert_int_equal(policy_check(&p, NULL, 0, f), 1);
		fclose(f);
		if (n == 63)
			assert_non_null(strstr(msgs,
					       "warning: block src 10.0.0.0/8 proto tcp: never "
					       "drops: allow 10.0.0.0/8 proto tcp"));
		else
			assert_non_null(strstr(msgs,
					       ": warning: 1 blocks were not checked against "
					       "every allow on or inside their networks (more "
					       "than 64 that cannot meet them)\n"));
		free(msgs);
		free(text);
		policy_free(&p);
	}

	memset(&p, 0, sizeof(p));
	assert_int_equal(policy_block_rule("192.0.2.0/24", POLICY_SIDE_SRC, 0, NULL, &r, why,
					   sizeof(why)),
			 0);
	assert_int_equal(policy_add(&p, &r), 0);
	assert_int_equal(policy_add(&p, &r), 0);
	f = open_memstream(&msgs, &size);
	assert_int_equal(policy_check(&p, NULL, 0, f), 1);
	fclose(f);
	assert_string_equal(msgs, "flowdb-collector: warning: block src 192.0.2.0/24: repeats "
				  "flowdb-ctl: only one of them applies\n");
	free(msgs);
	policy_free(&p);
}

/* More than 100 warnings: 100 lines, then one with how many more. */
static void test_check_many(void **state)
{
	char path[64], *msgs, *text, last[128];
	struct policy p;
	size_t size, i, lines = 0;
	FILE *f;

	f = open_memstream(&text, &size);
	for (i = 0; i < 1000; i++)
		fprintf(f, "block src 192.0.2.1\n");
	fclose(f);
	assert_int_equal(parse_text(text, &p, &msgs, path), 0);
	free(msgs);
	f = open_memstream(&msgs, &size);
	assert_int_equal(policy_check(&p, NULL, 0, f), 999);
	fclose(f);
	for (i = 0; msgs[i]; i++)
		lines += msgs[i] == '\n';
	assert_int_equal(lines, 101);
	snprintf(last, sizeof(last), "flowdb-collector: %s: 899 more warnings not shown\n", path);
	assert_string_equal(msgs + strlen(msgs) - strlen(last), last);
	assert_true(strstr(msgs, ":101: warning: block src 192.0.2.1: repeats line 1:"));
	assert_null(strstr(msgs, ":102: warning"));
	free(msgs);
	free(text);
	policy_free(&p);
}

/* Whether network a shares an address with b, bit by bit: the reference
 * for policy_check()'s sorted search. */
static bool ref_overlap(const struct addr_net *a, const struct addr_net *b)
{
	unsigned int bits = a->bits < b->bits ? a->bits : b->bits, i;

	if (a->family != b->family)
		return false;
	for (i = 0; i < bits; i++)
		if (((a->addr[i / 8] >> (7 - i % 8)) ^ (b->addr[i / 8] >> (7 - i % 8))) & 1)
			return false;
	return true;
}

/*
 * Random allows and blocks in a small space, so that they nest often:
 * policy_check() warns about exactly the blocks that a brute-force pass over
 * every pair finds an allow for (same side or any, protocols and ports that
 * meet).
 */
static void test_check_reference(void **state)
{
	static const unsigned int lengths[] = { 8, 12, 16, 20, 24, 28, 32 };
	static const char *const sides[] = { "", "src ", "dst " };
	char path[64], *msgs, *text, addr[INET_ADDRSTRLEN];
	struct policy p;
	size_t size, i, k;
	int round;

	srand(16);
	for (round = 0; round < 300; round++) {
		int expected = 0, n = 1 + rand() % 40;
		FILE *f = open_memstream(&text, &size);

		for (i = 0; i < (size_t)n; i++) {
			unsigned int bits = lengths[rand() % 7];
			/* 10.x.y.z with few bits set: networks nest often. */
			uint32_t v = 0x0a000000u | ((uint32_t)rand() & 0x00030303u);
			bool block = rand() % 3;
			int proto = rand() % 3;

			v &= bits ? ~0u << (32 - bits) : 0;
			v = htonl(v);
			inet_ntop(AF_INET, &v, addr, sizeof(addr));
			fprintf(f, "%s %s%s/%u", block ? "block" : "allow",
				sides[block ? 1 + rand() % 2 : rand() % 3], addr, bits);
			if (proto)
				fprintf(f, " proto %s", proto == 1 ? "tcp" : "udp");
			if (proto && rand() % 2)
				fprintf(f, " port %d", 1 + rand() % 3);
			fputc('\n', f);
		}
		fclose(f);
		if (parse_text(text, &p, &msgs, path))
			fail_msg("%s\n%s", text, msgs);
		free(msgs);
		for (i = 0; i < p.n_rules; i++) {
			const struct policy_rule *b = &p.rules[i];

			if (b->kind != POLICY_BLOCK)
				continue;
			for (k = 0; k < p.n_rules; k++) {
				const struct policy_rule *a = &p.rules[k];

				if (a->kind == POLICY_ALLOW && ref_overlap(&a->net, &b->net) &&
				    (a->side == POLICY_SIDE_ANY || a->side == b->side) &&
				    (!a->proto || !b->proto || a->proto == b->proto) &&
				    (!a->port || !b->port || a->port == b->port)) {
					expected++;
					break;
				}
			}
		}
		/* And the repeats, counted by brute force too. */
		for (i = 1; i < p.n_rules; i++) {
			for (k = 0; k < i; k++) {
				const struct policy_rule *a = &p.rules[k], *b = &p.rules[i];

				if (a->kind == b->kind && a->side == b->side &&
				    !memcmp(&a->net, &b->net, sizeof(a->net)) &&
				    a->proto == b->proto && a->port == b->port) {
					expected++;
					break;
				}
			}
		}
		f = open_memstream(&msgs, &size);
		if (policy_check(&p, NULL, 0, f) != expected)
			fail_msg("expected %d warnings for\n%s\ngot\n%s", expected, text, msgs);
		fclose(f);
		free(msgs);
		free(text);
		policy_free(&p);
	}
}

/* Appends to text[*used..len). */
static void add(char *text, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*used += (size_t)vsnprintf(text + *used, len - *used, fmt, ap);
	va_end(ap);
	assert_true(*used < len);
}

/* A random network of family (AF_INET or AF_INET6), host bits clear. */
static void random_net(struct addr_net *n, int family)
{
	unsigned int i, keep;

	memset(n, 0, sizeof(*n));
	n->family = family;
	n->bits = (unsigned int)rand() % (family == AF_INET ? 33 : 129);
	for (i = 0; i < (family == AF_INET ? 4u : 16u); i++)
		n->addr[i] = (unsigned char)rand();
	for (i = 0; i < 16; i++) {
		keep = n->bits > i * 8 ? n->bits - i * 8 : 0;
		if (keep < 8)
			n->addr[i] &= (unsigned char)(0xff00 >> keep);
	}
}

/*
 * A random rule written by hand, with its own choice of spellings (units,
 * protocol names or numbers, /M spelled out or not), option order and
 * spacing, into text, and the rule it must read as into *want.
 */
static void random_rule(char *text, size_t len, struct policy_rule *want)
{
	static const char *const proto_names[] = { "tcp", "udp", "sctp", "udplite" };
	static const uint8_t proto_nums[] = { 6, 17, 132, 136 };
	static const char *const gaps[] = { " ", "\t", "  ", " \t " };
	static const char *const bps_units[] = { "bps", "Kbps", "kbps", "Mbps", "Gbps" };
	static const uint64_t bps_scales[] = { 1, 1000, 1000, 1000000, 1000000000 };
	char addr[INET6_ADDRSTRLEN], opts[5][2 * POLICY_REASON_MAX + 16];
	size_t used = 0, n_opts = 0, i, k, olen;
	int pi = rand() % 4;
	uint64_t v;

	memset(want, 0, sizeof(*want));
	want->kind = (enum policy_kind)(1 + rand() % 3);
	want->origin = POLICY_ORIGIN_CTL;
	if (want->kind == POLICY_LIMIT) {
		want->limit_bits4 = (uint8_t)(rand() % 33);
		want->limit_bits6 = want->limit_bits4 == 32 ? 128 : 64;
		add(text, len, &used, "limit src/%u", want->limit_bits4);
		if (rand() % 2) {
			want->limit_bits6 = (uint8_t)(rand() % 129);
			add(text, len, &used, "/%u", want->limit_bits6);
		}
		want->unit = (enum policy_unit)(1 + rand() % 3);
		v = 1 + (uint64_t)rand() % 100000;
		if (want->unit == POLICY_BPS) {
			k = (size_t)rand() % 5;
			/* 100000Gbps is past the most: 1000Gbps then. */
			if (v * bps_scales[k] > POLICY_RATE_MAX_BPS)
				v = 1000;
			want->rate = v * bps_scales[k];
			want->burst = (want->rate + 7) / 8;
			add(text, len, &used, "%s%llu%s", gaps[rand() % 4], (unsigned long long)v,
			    bps_units[k]);
		} else {
			want->rate = want->burst = v;
			add(text, len, &used, "%s%llu%s", gaps[rand() % 4], (unsigned long long)v,
			    want->unit == POLICY_PPS ? "pps" : "/s syn");
		}
		if (rand() % 2) {
			want->burst = 1 + (uint64_t)rand() % 1000000;
			if (want->unit == POLICY_BPS && rand() % 2) {
				want->burst <<= 10;
				snprintf(opts[n_opts++], sizeof(opts[0]), "burst%s%lluK",
					 gaps[rand() % 4], (unsigned long long)(want->burst >> 10));
			} else {
				snprintf(opts[n_opts++], sizeof(opts[0]), "burst%s%llu",
					 gaps[rand() % 4], (unsigned long long)want->burst);
			}
		}
		/* A SYN limit is TCP's, said or not. */
		if (want->unit == POLICY_SYN) {
			want->proto = 6;
			pi = 0;
		}
	} else {
		random_net(&want->net, rand() % 2 ? AF_INET : AF_INET6);
		want->side = (enum policy_side)(want->kind == POLICY_BLOCK ? 1 + rand() % 2 :
									     rand() % 3);
		inet_ntop(want->net.family, want->net.addr, addr, sizeof(addr));
		add(text, len, &used, "%s%s", want->kind == POLICY_ALLOW ? "allow" : "block",
		    gaps[rand() % 4]);
		if (want->side)
			add(text, len, &used, "%s%s", want->side == POLICY_SIDE_SRC ? "src" : "dst",
			    gaps[rand() % 4]);
		/* A whole-length network with or without its length. */
		if (want->net.bits == (want->net.family == AF_INET ? 32u : 128u) && rand() % 2)
			add(text, len, &used, "%s", addr);
		else
			add(text, len, &used, "%s/%u", addr, want->net.bits);
	}
	if (rand() % 2) {
		want->proto = proto_nums[pi];
		if (rand() % 2)
			snprintf(opts[n_opts++], sizeof(opts[0]), "proto %s", proto_names[pi]);
		else
			snprintf(opts[n_opts++], sizeof(opts[0]), "proto %u", want->proto);
	}
	if (want->proto && rand() % 2) {
		want->port = (uint16_t)(1 + rand() % 65535);
		snprintf(opts[n_opts++], sizeof(opts[0]), "port %u", want->port);
	}
	if (want->kind == POLICY_BLOCK && rand() % 2) {
		want->duration_us = (1 + (uint64_t)rand() % 100000) * 1000;
		snprintf(opts[n_opts++], sizeof(opts[0]), "for %llums",
			 (unsigned long long)(want->duration_us / 1000));
	}
	if (rand() % 2) {
		/* Printable ASCII, quotes and backslashes included, and now and
		 * then a two-byte character. */
		size_t rl = (size_t)rand() % POLICY_REASON_MAX;

		for (i = 0; i < rl; i++) {
			if (i + 2 < rl && rand() % 10 == 0) {
				want->reason[i++] = '\xc3';
				want->reason[i] = '\xa9';
			} else {
				want->reason[i] = (char)(0x20 + rand() % 95);
			}
		}
		olen = (size_t)sprintf(opts[n_opts], "reason%s\"", gaps[rand() % 4]);
		for (i = 0; i < rl; i++) {
			if (want->reason[i] == '"' || want->reason[i] == '\\')
				opts[n_opts][olen++] = '\\';
			opts[n_opts][olen++] = want->reason[i];
		}
		strcpy(&opts[n_opts][olen], "\"");
		n_opts++;
	}
	for (i = n_opts; i > 1; i--) {
		char tmp[sizeof(opts[0])];

		k = (size_t)rand() % i;
		memcpy(tmp, opts[i - 1], sizeof(tmp));
		memcpy(opts[i - 1], opts[k], sizeof(tmp));
		memcpy(opts[k], tmp, sizeof(tmp));
	}
	for (i = 0; i < n_opts; i++)
		add(text, len, &used, "%s%s", gaps[rand() % 4], opts[i]);
	if (rand() % 2)
		add(text, len, &used, "%s# comment \" \\ \xff", gaps[rand() % 4]);
}

/*
 * Random rules written by an independent writer read as the rules it meant;
 * their canonical text reads as the same rule again and is a fixed point.
 */
static void test_round_trip(void **state)
{
	char text[POLICY_LINE_MAX], why[POLICY_ERR_MAX], canon[POLICY_TEXT_MAX],
		again[POLICY_TEXT_MAX];
	struct policy_rule want, got, back;
	int i;

	srand(1616);
	for (i = 0; i < 200000; i++) {
		random_rule(text, sizeof(text), &want);
		if (line(text, &got, why) != 1)
			fail_msg("'%s': %s", text, why);
		if (memcmp(&got, &want, sizeof(got))) {
			policy_rule_text(&want, canon, sizeof(canon));
			fail_msg("'%s' read as '%s'", text,
				 policy_rule_text(&got, again, sizeof(again)));
		}
		policy_rule_text(&got, canon, sizeof(canon));
		if (line(canon, &back, why) != 1)
			fail_msg("canonical '%s' of '%s': %s", canon, text, why);
		if (memcmp(&back, &got, sizeof(got)))
			fail_msg("canonical '%s' of '%s' reads as another rule", canon, text);
		assert_string_equal(policy_rule_text(&back, again, sizeof(again)), canon);
	}
}

/* policy_add grows; policy_free empties. */
static void test_add(void **state)
{
	struct policy p = { 0 };
	struct policy_rule r;
	char why[POLICY_ERR_MAX];
	int i;

	assert_int_equal(line("block src 10.0.0.0/8", &r, why), 1);
	for (i = 0; i < 1000; i++) {
		r.line = (unsigned int)i;
		assert_int_equal(policy_add(&p, &r), 0);
	}
	assert_int_equal(p.n_rules, 1000);
	assert_true(p.cap_rules >= 1000);
	assert_int_equal(p.rules[999].line, 999);
	policy_free(&p);
	assert_int_equal(p.n_rules, 0);
	assert_null(p.rules);
	policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constructs),    cmocka_unit_test(test_errors),
		cmocka_unit_test(test_file),	      cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_unreadable),    cmocka_unit_test(test_block_rule),
		cmocka_unit_test(test_check),	      cmocka_unit_test(test_check_many),
		cmocka_unit_test(test_check_bounded), cmocka_unit_test(test_check_reference),
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
