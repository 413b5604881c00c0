// SPDX-License-Identifier: BSD-2-Clause
/* The shell's SQL functions: the C matchers and lookups, then through SQLite. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "funcs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cidr_case {
	const char *addr, *network;
	int want;
};

/* Checks each case, naming the failing one so a table row is easy to find. */
static void check_cidr(const struct cidr_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = funcs_cidr_match(cases[i].addr, cases[i].network);

		if (got != cases[i].want)
			fail_msg("cidr_match(\"%s\", \"%s\") = %d, want %d",
				 cases[i].addr ? cases[i].addr : "(null)", cases[i].network, got,
				 cases[i].want);
	}
}

static void test_cidr_v4(void **state)
{
	static const struct cidr_case cases[] = {
		{ "0.0.0.0", "0.0.0.0/0", 1 },
		{ "255.255.255.255", "0.0.0.0/0", 1 },
		/* /0 of the other family still does not match. */
		{ "::", "0.0.0.0/0", 0 },
		{ "10.0.0.0", "10.0.0.0/8", 1 },
		{ "10.255.255.255", "10.0.0.0/8", 1 },
		{ "9.255.255.255", "10.0.0.0/8", 0 },
		{ "11.0.0.0", "10.0.0.0/8", 0 },
		/* Host bits in the network are ignored. */
		{ "10.200.1.1", "10.1.2.3/8", 1 },
		{ "11.1.2.3", "10.1.2.3/8", 0 },
		{ "10.127.255.255", "10.0.0.0/9", 1 },
		{ "10.128.0.0", "10.0.0.0/9", 0 },
		{ "172.31.255.255", "172.16.0.0/12", 1 },
		{ "172.32.0.0", "172.16.0.0/12", 0 },
		{ "172.15.255.255", "172.16.0.0/12", 0 },
		{ "192.168.1.4", "192.168.1.5/31", 1 },
		{ "192.168.1.5", "192.168.1.4/31", 1 },
		{ "192.168.1.3", "192.168.1.4/31", 0 },
		{ "192.168.1.6", "192.168.1.4/31", 0 },
		{ "10.0.0.1", "10.0.0.1/32", 1 },
		{ "10.0.0.0", "10.0.0.1/32", 0 },
		{ "10.0.0.2", "10.0.0.1/32", 0 },
		/* A bare address is a /32. */
		{ "10.0.0.1", "10.0.0.1", 1 },
		{ "10.0.0.0", "10.0.0.1", 0 },
		{ "10.0.0.1", "10.0.0.0/008", 1 },
		/* IPv4-mapped IPv6 is the other family. */
		{ "::ffff:10.0.0.1", "10.0.0.0/8", 0 },
		/* Not addresses: never match, never an error. */
		{ "10.0.0", "10.0.0.0/8", 0 },
		{ "10.0.0.1 ", "10.0.0.0/8", 0 },
		{ " 10.0.0.1", "10.0.0.0/8", 0 },
		{ "10.0.0.1/32", "10.0.0.0/8", 0 },
		{ "10.0.0.256", "10.0.0.0/8", 0 },
		{ "banana", "0.0.0.0/0", 0 },
		{ "", "0.0.0.0/0", 0 },
		{ NULL, "0.0.0.0/0", 0 },
	};

	check_cidr(cases, ARRAY_SIZE(cases));
}

static void test_cidr_v6(void **state)
{
	static const struct cidr_case cases[] = {
		{ "::", "::/0", 1 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", 1 },
		{ "0.0.0.0", "::/0", 0 },
		{ "2001:db8::1", "2001:db8::/32", 1 },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32", 1 },
		{ "2001:db9::", "2001:db8::/32", 0 },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32", 0 },
		{ "2001:db8:0:1::", "2001:db8:0:1::/64", 1 },
		{ "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64", 1 },
		{ "2001:db8:0:2::", "2001:db8:0:1::/64", 0 },
		{ "2001:db8::ffff:ffff:ffff:ffff", "2001:db8:0:1::/64", 0 },
		{ "2001:db8:0:1:7fff:ffff:ffff:ffff", "2001:db8:0:1::/65", 1 },
		{ "2001:db8:0:1:8000::", "2001:db8:0:1::/65", 0 },
		{ "2001:db8::", "2001:db8::1/127", 1 },
		{ "2001:db8::1", "2001:db8::/127", 1 },
		{ "2001:db8::2", "2001:db8::/127", 0 },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/127", 0 },
		{ "2001:db8::1", "2001:db8::1/128", 1 },
		{ "2001:db8::2", "2001:db8::1/128", 0 },
		{ "2001:db8::", "2001:db8::1/128", 0 },
		/* A bare address is a /128. */
		{ "::1", "::1", 1 },
		{ "::2", "::1", 0 },
		/* Any spelling inet_pton takes, on either side. */
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1/128", 1 },
		{ "2001:db8::1", "2001:0DB8:0000::/32", 1 },
		{ "::ffff:10.0.0.1", "::ffff:0.0.0.0/96", 1 },
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.0/104", 1 },
		{ "::ffff:11.0.0.1", "::ffff:10.0.0.0/104", 0 },
		{ "10.0.0.1", "::ffff:10.0.0.0/104", 0 },
		{ "fe80::1%eth0", "fe80::/10", 0 },
		{ "2001:db8:::1", "2001:db8::/32", 0 },
	};

	check_cidr(cases, ARRAY_SIZE(cases));
}

static void test_cidr_bad_networks(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33",
		"10.0.0.0/",
		"/8",
		"/",
		"x",
		"",
		"10.0.0.0/8 ",
		" 10.0.0.0/8",
		"10.0.0.0 /8",
		"10.0.0.0/ 8",
		"10.0.0.0/+8",
		"10.0.0.0/-1",
		"10.0.0.0/0x8",
		"10.0.0.0/8/8",
		"10.0.0.0/99999999999999999999",
		"10.0.0/8",
		"10.0.0.256/8",
		"2001:db8::/129",
		"2001:db8::/1000",
		"2001:db8:::/32",
		"fe80::%eth0/64",
		"0000000000000000000000000000000000000000000000000000000000001.0.0.0/8",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Malformed whatever addr is, and even when addr would match. */
		if (funcs_cidr_match("10.0.0.1", bad[i]) != -EINVAL ||
		    funcs_cidr_match("x", bad[i]) != -EINVAL)
			fail_msg("network \"%s\" was accepted", bad[i]);
	}
	assert_int_equal(funcs_cidr_match("10.0.0.1", NULL), -EINVAL);
	/* The largest prefixes are still fine. */
	assert_int_equal(funcs_cidr_match("10.0.0.1", "10.0.0.1/32"), 1);
	assert_int_equal(funcs_cidr_match("::1", "::1/128"), 1);
}

static void test_proto_name(void **state)
{
	static const struct {
		int proto;
		const char *name;
	} cases[] = {
		{ 1, "icmp" },	 { 2, "igmp" },	     { 4, "ipv4" },	    { 6, "tcp" },
		{ 8, "egp" },	 { 17, "udp" },	     { 41, "ipv6" },	    { 46, "rsvp" },
		{ 47, "gre" },	 { 50, "esp" },	     { 51, "ah" },	    { 58, "ipv6-icmp" },
		{ 89, "ospf" },	 { 103, "pim" },     { 112, "vrrp" },	    { 115, "l2tp" },
		{ 132, "sctp" }, { 136, "udplite" }, { 137, "mpls-in-ip" }, { 0, NULL },
		{ 3, NULL },	 { 253, NULL },	     { 255, NULL },	    { -1, NULL },
		{ 256, NULL },	 { 262, NULL },	     { 1000, NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = funcs_proto_name(cases[i].proto);

		if (!cases[i].name)
			assert_null(got);
		else
			assert_string_equal(got ? got : "(null)", cases[i].name);
	}
}

static void test_service(void **state)
{
	static const struct {
		int port, proto;
		const char *name;
	} cases[] = {
		{ 20, 6, "ftp-data" },
		{ 22, 6, "ssh" },
		{ 22, 17, NULL },
		{ 53, 6, "dns" },
		{ 53, 17, "dns" },
		{ 67, 17, "dhcp" },
		{ 68, 17, "dhcp" },
		{ 80, 6, "http" },
		{ 80, 17, NULL },
		{ 123, 17, "ntp" },
		{ 123, 6, NULL },
		{ 137, 17, "netbios" },
		{ 139, 6, "netbios" },
		{ 443, 6, "https" },
		{ 443, 17, "quic" },
		{ 445, 6, "smb" },
		{ 853, 6, "dns-over-tls" },
		{ 3389, 6, "rdp" },
		{ 5060, 132, "sip" },
		{ 5353, 17, "mdns" },
		{ 6443, 6, "kubernetes" },
		{ 27017, 6, "mongodb" },
		{ 51820, 17, "wireguard" },
		{ 51820, 6, NULL },
		/* Unknown ports, and ports on protocols that have none. */
		{ 0, 6, NULL },
		{ 1, 6, NULL },
		{ 19, 6, NULL },
		{ 444, 6, NULL },
		{ 65535, 17, NULL },
		{ -1, 6, NULL },
		{ 443 + 65536, 6, NULL },
		{ 443, 47, NULL },
		{ 443, 0, NULL },
		/* ICMP: type * 256 + code. */
		{ 0 * 256, 1, "echo-reply" },
		{ 8 * 256, 1, "echo-request" },
		{ 3 * 256 + 1, 1, "dest-unreach" },
		{ 3 * 256 + 3, 1, "port-unreach" },
		{ 11 * 256, 1, "time-exceeded" },
		{ 5 * 256 + 1, 1, "redirect" },
		{ 128 * 256, 1, NULL },
		{ 255 * 256 + 255, 1, NULL },
		{ 65536 + 8 * 256, 1, NULL },
		/* ICMPv6 numbers its types differently. */
		{ 128 * 256, 58, "echo-request" },
		{ 129 * 256, 58, "echo-reply" },
		{ 1 * 256 + 0, 58, "dest-unreach" },
		{ 1 * 256 + 4, 58, "port-unreach" },
		{ 2 * 256, 58, "packet-too-big" },
		{ 3 * 256 + 1, 58, "time-exceeded" },
		{ 133 * 256, 58, "router-solicit" },
		{ 134 * 256, 58, "router-advert" },
		{ 135 * 256, 58, "neighbor-solicit" },
		{ 136 * 256, 58, "neighbor-advert" },
		{ 8 * 256, 58, NULL },
		{ 0, 58, NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = funcs_service(cases[i].port, cases[i].proto);

		if (cases[i].name ? !got || strcmp(got, cases[i].name) : got != NULL)
			fail_msg("service(%d, %d) = %s, want %s", cases[i].port, cases[i].proto,
				 got ? got : "NULL", cases[i].name ? cases[i].name : "NULL");
	}
}

/* Opens an in-memory database with the functions registered. */
static int db_setup(void **state)
{
	sqlite3 *db;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	if (funcs_register(db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	*state = db;
	return 0;
}

/* Closes the database db_setup opened. */
static int db_teardown(void **state)
{
	/* _v2: a failed test may leave a statement behind, already reported. */
	return sqlite3_close_v2(*state) == SQLITE_OK ? 0 : -1;
}

/* Runs sql, which must yield one row; returns its first column as text,
 * "NULL" for SQL NULL, in a buffer the next call reuses. */
static const char *one(sqlite3 *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) != SQLITE_ROW)
		fail_msg("step %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		snprintf(buf, sizeof(buf), "NULL");
	else
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return buf;
}

/* Runs sql, whose first step must fail; returns the error message, in a
 * buffer the next call reuses. */
static const char *error_of(sqlite3 *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ERROR)
		fail_msg("step %s returned %d, want an error", sql, rc);
	snprintf(buf, sizeof(buf), "%s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return buf;
}

/* Executes sql, which must succeed. */
static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static void test_sql_nulls(void **state)
{
	static const char *const sqls[] = {
		"SELECT cidr_match(NULL, '10.0.0.0/8')",
		"SELECT cidr_match('10.0.0.1', NULL)",
		"SELECT cidr_match(NULL, NULL)",
		/* NULL wins over a bad network, as it would in SQL's operators. */
		"SELECT cidr_match(NULL, 'x')",
		"SELECT human_bytes(NULL)",
		"SELECT ts(NULL)",
		"SELECT ts(NULL, 3)",
		"SELECT ts(0, NULL)",
		"SELECT duration(NULL)",
		"SELECT proto_name(NULL)",
		"SELECT service(NULL, 6)",
		"SELECT service(443, NULL)",
		/* Unknown services are NULL too. */
		"SELECT service(1, 6)",
		"SELECT service(443, 47)",
		"SELECT service(443 + 65536, 6)",
		"SELECT service(443, 6 + 256)",
		/* 2^32 + 443 and 2^32 + 6 must not wrap into 443/tcp. */
		"SELECT service(4294967296 + 443, 6)",
		"SELECT service(443, 4294967296 + 6)",
	};
	sqlite3 *db = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sqls); i++)
		if (strcmp(one(db, sqls[i]), "NULL"))
			fail_msg("%s = %s, want NULL", sqls[i], one(db, sqls[i]));
}

static void test_sql_values(void **state)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{ "SELECT cidr_match('10.1.2.3', '10.0.0.0/8')", "1" },
		{ "SELECT cidr_match('11.1.2.3', '10.0.0.0/8')", "0" },
		{ "SELECT typeof(cidr_match('10.1.2.3', '10.0.0.0/8'))", "integer" },
		{ "SELECT cidr_match('2001:db8::5', '2001:db8::/64')", "1" },
		{ "SELECT cidr_match('not an address', '10.0.0.0/8')", "0" },
		{ "SELECT cidr_match(10, '10.0.0.0/8')", "0" },
		{ "SELECT cidr_match(x'', '0.0.0.0/0')", "0" },
		{ "SELECT cidr_match(CAST('10.0.0.1' AS BLOB), '10.0.0.0/8')", "1" },
		{ "SELECT human_bytes(0)", "0 B" },
		{ "SELECT human_bytes(1023)", "1023 B" },
		{ "SELECT human_bytes(1536)", "1.5 KiB" },
		{ "SELECT human_bytes(1610612736)", "1.5 GiB" },
		{ "SELECT human_bytes('2048')", "2.0 KiB" },
		{ "SELECT ts(0)", "1970-01-01T00:00:00.000000Z" },
		{ "SELECT ts(0, 6)", "1970-01-01T00:00:00.000000Z" },
		{ "SELECT ts(0, 3)", "1970-01-01T00:00:00.000Z" },
		{ "SELECT ts(0, 0)", "1970-01-01T00:00:00Z" },
		/* 1795356000 s is 2026-11-22 14:00:00 UTC: 20779 days of 86400 s
		 * (1970-01-01 to 2026-11-22) plus 14 h. */
		{ "SELECT ts(1795356000123456)", "2026-11-22T14:00:00.123456Z" },
		{ "SELECT ts(1795356000123456, 3)", "2026-11-22T14:00:00.123Z" },
		{ "SELECT ts(1795356000999999, 0)", "2026-11-22T14:00:00Z" },
		{ "SELECT ts(0, '3')", "1970-01-01T00:00:00.000Z" },
		{ "SELECT duration(0)", "0s" },
		{ "SELECT duration(850000)", "850ms" },
		{ "SELECT duration(125000000)", "2m05s" },
		/* The ends of int64_t and before 1970, from a hostile file: 2^63
		 * us are 9223372036854 s, 106751991 days and 4 hours (Python:
		 * divmod(2**63 // 10**6, 86400)); human_bytes(-2^63) is -8 EiB. */
		{ "SELECT ts(-9223372036854775808)", "-290308-12-21T19:59:05.224192Z" },
		{ "SELECT ts(9223372036854775807, 3)", "294247-01-10T04:00:54.775Z" },
		{ "SELECT ts(-1000, 3)", "1969-12-31T23:59:59.999Z" },
		{ "SELECT ts(-1)", "1969-12-31T23:59:59.999999Z" },
		/* A REAL beyond int64_t is clamped by SQLite, not wrapped. */
		{ "SELECT ts(1e300, 0)", "294247-01-10T04:00:54Z" },
		{ "SELECT duration(-9223372036854775808)", "-106751991d04h" },
		{ "SELECT duration(9223372036854775807)", "106751991d04h" },
		{ "SELECT human_bytes(-9223372036854775808)", "-8.0 EiB" },
		{ "SELECT proto_name(6)", "tcp" },
		{ "SELECT proto_name(58)", "ipv6-icmp" },
		{ "SELECT proto_name(0)", "0" },
		{ "SELECT proto_name(253)", "253" },
		{ "SELECT proto_name(262)", "262" },
		{ "SELECT proto_name(-1)", "-1" },
		/* 2^32 + 6 is not tcp wrapped around. */
		{ "SELECT proto_name(4294967302)", "4294967302" },
		{ "SELECT service(443, 6)", "https" },
		{ "SELECT service(443, 17)", "quic" },
		{ "SELECT service(8 * 256, 1)", "echo-request" },
		{ "SELECT service(128 * 256, 58)", "echo-request" },
	};
	sqlite3 *db = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = one(db, cases[i].sql);

		if (strcmp(got, cases[i].want))
			fail_msg("%s = \"%s\", want \"%s\"", cases[i].sql, got, cases[i].want);
	}
}

static void test_sql_errors(void **state)
{
	static const struct {
		const char *sql, *message;
	} cases[] = {
		{ "SELECT cidr_match('10.0.0.1', '10.0.0.0/33')",
		  "cidr_match: bad network \"10.0.0.0/33\"" },
		{ "SELECT cidr_match('10.0.0.1', 'x')", "cidr_match: bad network \"x\"" },
		{ "SELECT cidr_match('x', '2001:db8::/129')",
		  "cidr_match: bad network \"2001:db8::/129\"" },
		{ "SELECT cidr_match('10.0.0.1', '')", "cidr_match: bad network \"\"" },
		{ "SELECT ts(0, 2)", "ts: digits must be 0, 3 or 6" },
		{ "SELECT ts(0, -6)", "ts: digits must be 0, 3 or 6" },
		{ "SELECT ts(0, 9)", "ts: digits must be 0, 3 or 6" },
		{ "SELECT ts(0, 3.5)", "ts: digits must be 0, 3 or 6" },
		{ "SELECT ts(0, 'three')", "ts: digits must be 0, 3 or 6" },
	};
	static const char *const bad_counts[] = {
		"SELECT ts()",	       "SELECT ts(1, 2, 3)",   "SELECT cidr_match('10.0.0.1')",
		"SELECT service(443)", "SELECT human_bytes()",
	};
	sqlite3 *db = *state;
	sqlite3_stmt *stmt;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(error_of(db, cases[i].sql), cases[i].message);
	/* A bad network in a column fails on the row that holds it. */
	exec(db,
	     "CREATE TEMP TABLE nets (addr TEXT, net TEXT);"
	     "INSERT INTO nets VALUES ('10.0.0.1', '10.0.0.0/8'), ('10.0.0.1', '10.0.0.0/99');");
	assert_string_equal(error_of(db, "SELECT sum(cidr_match(addr, net)) FROM nets"),
			    "cidr_match: bad network \"10.0.0.0/99\"");
	/* Wrong argument counts fail before any row is read. */
	for (i = 0; i < ARRAY_SIZE(bad_counts); i++) {
		stmt = NULL;
		if (sqlite3_prepare_v2(db, bad_counts[i], -1, &stmt, NULL) == SQLITE_OK)
			fail_msg("%s prepared", bad_counts[i]);
		sqlite3_finalize(stmt);
	}
}

/* Fills temp table a with 100000 IPv4 addresses 10.0.0.0, 10.0.0.1, ...
 * (row i is 10.0.0.0 + i) and 1000 IPv6 ones 2001:db8::, 2001:db8::1, ... */
static void fill_addresses(sqlite3 *db)
{
	exec(db, "CREATE TEMP TABLE a (addr TEXT);"
		 "WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 99999) "
		 "INSERT INTO a SELECT printf('10.%d.%d.%d', i >> 16, (i >> 8) & 255, i & 255) "
		 "FROM x;"
		 "WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 999) "
		 "INSERT INTO a SELECT printf('2001:db8::%x', i) FROM x;");
	assert_string_equal(one(db, "SELECT count(*) FROM a"), "101000");
}

static void test_sql_many_rows(void **state)
{
	/* Counts worked out from fill_addresses' numbering: 10.1.0.0/16 holds
	 * rows 65536..99999, 10.1.134.159 is row 65536 + 134 * 256 + 159 =
	 * 99999, and 2001:db8::300/119 is ::200..::3ff, rows 512..999. */
	static const struct {
		const char *network, *count;
	} cases[] = {
		{ "10.0.0.0/8", "100000" },
		{ "0.0.0.0/0", "100000" },
		{ "10.1.0.0/16", "34464" },
		{ "10.0.0.0/24", "256" },
		{ "10.0.1.0/23", "512" },
		{ "10.1.134.159", "1" },
		{ "10.1.134.160/32", "0" },
		{ "192.168.0.0/16", "0" },
		{ "::/0", "1000" },
		{ "2001:db8::/120", "256" },
		{ "2001:db8::300/119", "488" },
		{ "2001:db8::3e7", "1" },
	};
	sqlite3 *db = *state;
	sqlite3_stmt *stmt;
	char sql[128];
	size_t i;

	fill_addresses(db);
	/* A literal network: parsed once, cached as auxdata. */
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM a WHERE cidr_match(addr, '%s')",
			 cases[i].network);
		assert_string_equal(one(db, sql), cases[i].count);
	}
	/* A bound network: each rebinding must drop the previous parse. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM a WHERE cidr_match(addr, ?1)",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(sqlite3_bind_text(stmt, 1, cases[i].network, -1, SQLITE_STATIC),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(stmt, 0), cases[i].count);
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
}

static void test_sql_network_per_row(void **state)
{
	sqlite3 *db = *state;

	/* Networks alternate row by row, so a parse kept from the row before
	 * would give wrong answers. */
	exec(db, "CREATE TEMP TABLE pairs (addr TEXT, net TEXT, want INTEGER);"
		 "INSERT INTO pairs VALUES"
		 " ('10.0.0.1', '10.0.0.0/8', 1), ('10.0.0.1', '192.168.0.0/16', 0),"
		 " ('192.168.3.4', '192.168.0.0/16', 1), ('192.168.3.4', '10.0.0.0/8', 0),"
		 " ('2001:db8::1', '2001:db8::/32', 1), ('10.0.0.1', '2001:db8::/32', 0),"
		 " ('2001:db8::1', '10.0.0.0/8', 0), ('10.0.0.1', '10.0.0.0/8', 1),"
		 " ('10.0.0.1', '10.0.0.2', 0), ('10.0.0.2', '10.0.0.2', 1);");
	assert_string_equal(one(db, "SELECT count(*) FROM pairs"), "10");
	assert_string_equal(
		one(db, "SELECT count(*) FROM pairs WHERE cidr_match(addr, net) = want"), "10");
}

static void test_docs_match_registration(void **state)
{
	static const char *const names[] = { "cidr_match", "duration", "human_bytes",
					     "proto_name", "service",  "ts" };
	sqlite3_stmt *stmt, *insert;
	sqlite3 *db = *state, *bare;
	char sql[160];
	size_t i, n;

	for (n = 0; funcs_docs[n].name; n++) {
		size_t len = strlen(funcs_docs[n].name);

		assert_int_equal(strncmp(funcs_docs[n].usage, funcs_docs[n].name, len), 0);
		assert_int_equal(funcs_docs[n].usage[len], '(');
		assert_non_null(funcs_docs[n].about);
		assert_true(strlen(funcs_docs[n].about) > 0);
		assert_null(strchr(funcs_docs[n].about, '\n'));
		/* Every documented function is registered, UTF-8, and flagged
		 * deterministic (0x800) and innocuous (0x200000). */
		snprintf(
			sql, sizeof(sql),
			"SELECT count(*) FROM pragma_function_list WHERE name = '%s' AND enc = 'utf8'"
			" AND flags & %d = %d",
			funcs_docs[n].name, 0x200800, 0x200800);
		if (!strcmp(one(db, sql), "0"))
			fail_msg("%s is not registered as documented", funcs_docs[n].name);
	}
	assert_int_equal(n, ARRAY_SIZE(names));
	/* Every registered name is documented, and nothing else was added:
	 * what a bare connection has (FTS and the like) is left out. */
	assert_int_equal(sqlite3_open(":memory:", &bare), SQLITE_OK);
	exec(db, "CREATE TEMP TABLE bare (name TEXT)");
	assert_int_equal(sqlite3_prepare_v2(bare, "SELECT name FROM pragma_function_list", -1,
					    &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO bare VALUES (?1)", -1, &insert, NULL),
			 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		sqlite3_bind_value(insert, 1, sqlite3_column_value(stmt, 0));
		assert_int_equal(sqlite3_step(insert), SQLITE_DONE);
		sqlite3_reset(insert);
	}
	sqlite3_finalize(insert);
	sqlite3_finalize(stmt);
	sqlite3_close(bare);
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "SELECT DISTINCT name FROM pragma_function_list"
				   " WHERE name NOT IN (SELECT name FROM bare) ORDER BY name",
				   -1, &stmt, NULL),
		SQLITE_OK);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(stmt, 0), names[i]);
	}
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);
	assert_string_equal(one(db, "SELECT group_concat(narg) FROM (SELECT narg FROM"
				    " pragma_function_list WHERE name = 'ts' ORDER BY narg)"),
			    "1,2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_cidr_v6),
		cmocka_unit_test(test_cidr_bad_networks),
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_service),
		cmocka_unit_test_setup_teardown(test_sql_nulls, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_sql_values, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_sql_errors, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_sql_many_rows, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_sql_network_per_row, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_docs_match_registration, db_setup,
						db_teardown),
	};

	return cmocka_run_group_tests_name("sh_funcs", tests, NULL, NULL);
}
