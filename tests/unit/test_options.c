// SPDX-License-Identifier: BSD-2-Clause
/* flowdb-collector's command line: durations, sizes, options and messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "options.h"

#define S USEC_PER_SEC

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t us;
	} good[] = { { "30s", 30 * S },	      { "5m", 300 * S },	{ "1h", 3600 * S },
		     { "7d", 7 * 86400 * S }, { "2w", 14 * 86400 * S }, { "250ms", 250000 },
		     { "45", 45 * S } };
	static const char *const bad[] = { "",	 "s",	"0s",  "0",  "-5s", "1.5h",
					   "5x", "5 m", "1hh", "h1", " 5s" };
	uint64_t us;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(units_parse_duration(good[i].text, &us), 0);
		assert_int_equal(us, good[i].us);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_duration(bad[i], &us), -EINVAL);
	assert_int_equal(units_parse_duration("99999999999999999999s", &us), -ERANGE);
	assert_int_equal(units_parse_duration("100000000000000w", &us), -ERANGE);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = { { "500M", 500ULL << 20 },
		     { "10G", 10ULL << 30 },
		     { "1T", 1ULL << 40 },
		     { "64K", 64 << 10 },
		     { "64KB", 64 << 10 },
		     { "4096", 4096 },
		     { "7B", 7 } };
	static const char *const bad[] = { "", "M", "0M", "1.5G", "10g", "10 G", "10Gi", "-1M" };
	uint64_t bytes;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(units_parse_size(good[i].text, &bytes), 0);
		assert_int_equal(bytes, good[i].bytes);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_size(bad[i], &bytes), -EINVAL);
	assert_int_equal(units_parse_size("20000000T", &bytes), -ERANGE);
}

/* Parses a NULL-terminated argument list; the messages land in out and err. */
static int parse(struct options *o, char *out, char *err, ...)
{
	char *argv[48] = { "flowdb-collector" };
	FILE *fout, *ferr;
	int argc = 1, ret;
	va_list ap;

	memset(out, 0, 4096);
	memset(err, 0, 4096);
	fout = fmemopen(out, 4096, "w");
	ferr = fmemopen(err, 4096, "w");
	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	ret = options_parse(o, argc, argv, fout, ferr);
	fclose(fout);
	fclose(ferr);
	return ret;
}

static void test_defaults_and_values(void **state)
{
	char out[4096], err[4096];
	struct options o;

	assert_int_equal(parse(&o, out, err, "-i", "eth0", NULL), 0);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifnames[0], "eth0");
	assert_string_equal(o.data_dir, "/var/lib/flowdb");
	assert_false(o.egress);
	assert_int_equal(o.xdp_mode, TRACKER_XDP_AUTO);
	assert_int_equal(o.flush_interval_us, 2 * S);
	assert_int_equal(o.idle_timeout_us, 15 * S);
	assert_int_equal(o.active_timeout_us, 60 * S);
	assert_int_equal(o.rotate_interval_us, 3600 * S);
	assert_int_equal(o.rotate_size, 0);
	assert_int_equal(o.retain_age_us, 0);
	assert_int_equal(o.retain_size, 0);
	assert_false(o.retain_unshipped_keep);
	assert_int_equal(o.map_size, FLOW_MAP_DEFAULT_ENTRIES);
	assert_int_equal(o.policy_max_entries, POLICY_MAX_ENTRIES_DEFAULT);
	assert_int_equal(o.limit_buckets, LIMIT_BUCKETS_DEFAULT);
	assert_string_equal(err, "");

	assert_int_equal(parse(&o, out, err, "-i", "a", "--interface", "b", "-d", "/tmp/x",
			       "--egress", "--xdp-mode", "generic", "--flush-interval", "1s",
			       "--idle-timeout", "30s", "--active-timeout", "5m",
			       "--rotate-interval", "2s", "--rotate-size", "10M", "--retain-age",
			       "7d", "--retain-size", "1G", "--retain-unshipped", "keep", "--map-size",
			       "1024", "-v", "-v",
			       "--policy-max-entries", "1M", "--limit-buckets", "5000", NULL),
			 0);
	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifnames[1], "b");
	assert_string_equal(o.data_dir, "/tmp/x");
	assert_true(o.egress);
	assert_int_equal(o.xdp_mode, TRACKER_XDP_GENERIC);
	assert_int_equal(o.flush_interval_us, S);
	assert_int_equal(o.idle_timeout_us, 30 * S);
	assert_int_equal(o.active_timeout_us, 300 * S);
	assert_int_equal(o.rotate_interval_us, 2 * S);
	assert_int_equal(o.rotate_size, 10 << 20);
	assert_int_equal(o.retain_age_us, 7 * 86400 * S);
	assert_int_equal(o.retain_size, 1ULL << 30);
	assert_true(o.retain_unshipped_keep);
	assert_int_equal(o.map_size, 1024);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(o.policy_max_entries, 1 << 20);
	assert_int_equal(o.limit_buckets, 5000);
}

/* --check-policy needs no interface; -i only narrows its warnings. */
static void test_check_policy(void **state)
{
	char out[4096], err[4096];
	struct options o;

	assert_int_equal(parse(&o, out, err, "--check-policy", "/etc/flowdb/policy", NULL), 0);
	assert_string_equal(o.check_policy, "/etc/flowdb/policy");
	assert_int_equal(o.n_ifaces, 0);
	assert_string_equal(err, "");
	assert_int_equal(parse(&o, out, err, "-i", "eth0", "--check-policy", "p", NULL), 0);
	assert_string_equal(o.check_policy, "p");
	assert_int_equal(o.n_ifaces, 1);
	assert_int_equal(parse(&o, out, err, "-i", "eth0", NULL), 0);
	assert_null(o.check_policy);
}

static void test_messages(void **state)
{
	static const struct {
		const char *args[4];
		const char *message;
	} cases[] = {
		{ { NULL },
		  "flowdb-collector: no interface: give at least one -i IFACE, or --read FILE\n" },
		{ { "-i", NULL }, "flowdb-collector: -i needs a value\n" },
		{ { "--read", "x.pcap", "-i", "eth0" },
		  "flowdb-collector: --read imports a capture: no -i or --egress with it\n" },
		{ { "-i", "eth0", "--bogus", NULL },
		  "flowdb-collector: unknown option '--bogus' (see --help)\n" },
		{ { "-i", "eth0", "extra", NULL },
		  "flowdb-collector: unexpected argument 'extra' (see --help)\n" },
		{ { "-i", "eth0", "--rotate-interval", "1.5h" },
		  "flowdb-collector: --rotate-interval: bad duration '1.5h' (use e.g. 30s, 5m, "
		  "1h, 7d)\n" },
		{ { "-i", "eth0", "--retain-size", "lots" },
		  "flowdb-collector: --retain-size: bad size 'lots' (use e.g. 500M, 10G)\n" },
		{ { "-i", "eth0", "--retain-unshipped", "yes" },
		  "flowdb-collector: --retain-unshipped: 'yes' is not keep or remove\n" },
		{ { "-i", "eth0", "--xdp-mode", "fast" },
		  "flowdb-collector: --xdp-mode: 'fast' is not auto, native or generic\n" },
		{ { "-i", "eth0", "--map-size", "0" },
		  "flowdb-collector: --map-size: bad number of flows '0'\n" },
		{ { "-i", "eth0", "--policy-max-entries", "3G" },
		  "flowdb-collector: --policy-max-entries: bad number of rules '3G'\n" },
		{ { "-i", "eth0", "--limit-buckets", "0" },
		  "flowdb-collector: --limit-buckets: bad number of buckets '0'\n" },
		{ { "-i", "eth0", "--flush-interval", NULL },
		  "flowdb-collector: --flush-interval needs a value\n" },
		{ { "--check-policy", "p", "--read", "x.pcap" },
		  "flowdb-collector: --check-policy checks a file and exits: no --read with it\n" },
		{ { "--check-policy", NULL }, "flowdb-collector: --check-policy needs a value\n" },
	};
	char out[4096], err[4096];
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;

		assert_int_equal(parse(&o, out, err, a[0], a[1], a[2], a[3], NULL), -EINVAL);
		assert_string_equal(err, cases[i].message);
	}
}

/* --read takes captures, repeated and as the arguments after the
 * options, in their order; without --read an argument is refused. */
static void test_read_paths(void **state)
{
	char out[4096], err[4096];
	struct options o;

	assert_int_equal(parse(&o, out, err, "--read", "a.pcap", NULL), 0);
	assert_int_equal(o.n_read, 1);
	assert_string_equal(o.read_paths[0], "a.pcap");
	assert_int_equal(o.map_size, FLOW_MAP_DEFAULT_ENTRIES);
	assert_int_equal(parse(&o, out, err, "--read", "a.pcap", "--map-size", "1M", NULL), 0);
	assert_int_equal(o.map_size, 1048576);
	assert_int_equal(parse(&o, out, err, "--read", "a.pcap", "b.pcap", "-d", "x", "c/",
			       "--read", "d*.pcap", NULL),
			 0);
	assert_int_equal(o.n_read, 4);
	assert_string_equal(o.read_paths[0], "a.pcap");
	assert_string_equal(o.read_paths[1], "d*.pcap");
	assert_string_equal(o.read_paths[2], "b.pcap");
	assert_string_equal(o.read_paths[3], "c/");
	assert_string_equal(o.data_dir, "x");
	assert_int_equal(parse(&o, out, err, "-i", "eth0", "a.pcap", NULL), -EINVAL);
	assert_string_equal(err, "flowdb-collector: unexpected argument 'a.pcap' (see --help)\n");
}

/* --ipfix: none by default; destinations split into host and port, the
 * IPv6 brackets off; the tuning options' defaults and values; each bad
 * value one line. */
static void test_ipfix(void **state)
{
	static const struct {
		const char *args[4];
		const char *message;
	} bad[] = {
		{ { "--ipfix", "collector" },
		  "flowdb-collector: --ipfix: 'collector' is not HOST:PORT\n" },
		{ { "--ipfix", ":4739" }, "flowdb-collector: --ipfix: ':4739' is not HOST:PORT\n" },
		{ { "--ipfix", "[::1]4739" },
		  "flowdb-collector: --ipfix: '[::1]4739' is not HOST:PORT\n" },
		{ { "--ipfix", "[::1" }, "flowdb-collector: --ipfix: '[::1' is not HOST:PORT\n" },
		{ { "--ipfix", "::1:4739" },
		  "flowdb-collector: --ipfix: '::1:4739': put an IPv6 address in brackets: "
		  "[ADDRESS]:PORT\n" },
		{ { "--ipfix", "host:0" },
		  "flowdb-collector: --ipfix: 'host:0': bad port '0' (1 to 65535)\n" },
		{ { "--ipfix", "host:65536" },
		  "flowdb-collector: --ipfix: 'host:65536': bad port '65536' (1 to 65535)\n" },
		{ { "--ipfix", "host:ipfix" },
		  "flowdb-collector: --ipfix: 'host:ipfix': bad port 'ipfix' (1 to 65535)\n" },
		{ { "--ipfix", "host:" },
		  "flowdb-collector: --ipfix: 'host:': bad port '' (1 to 65535)\n" },
		{ { "--ipfix", "host:-1" },
		  "flowdb-collector: --ipfix: 'host:-1': bad port '-1' (1 to 65535)\n" },
		{ { "--ipfix-domain", "1" },
		  "flowdb-collector: the --ipfix-* options tune --ipfix HOST:PORT, which is "
		  "missing\n" },
		{ { "--ipfix", "h:1", "--ipfix-domain", "4294967296" },
		  "flowdb-collector: --ipfix-domain: '4294967296' is not a number from 0 to "
		  "4294967295\n" },
		{ { "--ipfix", "h:1", "--ipfix-enterprise", "0" },
		  "flowdb-collector: --ipfix-enterprise: '0' is not a number from 1 to "
		  "4294967295\n" },
		{ { "--ipfix", "h:1", "--ipfix-template-refresh", "1500ms" },
		  "flowdb-collector: --ipfix-template-refresh: '1500ms' is not whole seconds, 1s "
		  "or more\n" },
		{ { "--ipfix", "h:1", "--ipfix-template-refresh", "soon" },
		  "flowdb-collector: --ipfix-template-refresh: bad duration 'soon' (use e.g. 30s, "
		  "5m, 1h, 7d)\n" },
		{ { "--ipfix", "h:1", "--ipfix-template-every", "-1" },
		  "flowdb-collector: --ipfix-template-every: '-1' is not a number from 0 to "
		  "4294967295\n" },
		{ { "--ipfix", "h:1", "--ipfix-message-size", "593" },
		  "flowdb-collector: --ipfix-message-size: '593' is not a number from 594 to "
		  "65507\n" },
		{ { "--ipfix", "h:1", "--ipfix-message-size", "65508" },
		  "flowdb-collector: --ipfix-message-size: '65508' is not a number from 594 to "
		  "65507\n" },
		{ { "--ipfix", "h:1", "--ipfix-queue", "0" },
		  "flowdb-collector: --ipfix-queue: '0' is not a number from 1 to 1048576\n" },
		{ { "--ipfix", "h:1", "--ipfix-rate", "fast" },
		  "flowdb-collector: --ipfix-rate: 'fast' is not a number from 0 to 1000000\n" },
	};
	char out[4096], err[4096];
	struct options o;
	size_t i;

	assert_int_equal(parse(&o, out, err, "-i", "eth0", NULL), 0);
	assert_int_equal(o.n_ipfix, 0);
	assert_int_equal(parse(&o, out, err, "-i", "eth0", "--ipfix", "127.0.0.1:4739", "--ipfix",
			       "[2001:db8::1]:2055", "--ipfix", "collector.example:9995", NULL),
			 0);
	assert_int_equal(o.n_ipfix, 3);
	assert_string_equal(o.ipfix[0].host, "127.0.0.1");
	assert_int_equal(o.ipfix[0].port, 4739);
	assert_string_equal(o.ipfix[0].text, "127.0.0.1:4739");
	assert_string_equal(o.ipfix[1].host, "2001:db8::1");
	assert_int_equal(o.ipfix[1].port, 2055);
	assert_string_equal(o.ipfix[2].host, "collector.example");
	assert_int_equal(o.ipfix[2].port, 9995);
	assert_int_equal(o.ipfix_domain, 1);
	assert_int_equal(o.ipfix_enterprise, 32473);
	assert_int_equal(o.ipfix_refresh_s, 600);
	assert_int_equal(o.ipfix_refresh_messages, 20);
	assert_int_equal(o.ipfix_message_size, 0);
	assert_int_equal(o.ipfix_queue, 4096);
	assert_int_equal(o.ipfix_rate, 10000);
	assert_int_equal(parse(&o, out, err, "--read", "a.pcap", "--ipfix", "h:1",
			       "--ipfix-domain", "0", "--ipfix-enterprise", "4294967295",
			       "--ipfix-template-refresh", "2m", "--ipfix-template-every", "0",
			       "--ipfix-message-size", "594", "--ipfix-queue", "1",
			       "--ipfix-rate", "0", NULL),
			 0);
	assert_int_equal(o.ipfix_domain, 0);
	assert_int_equal(o.ipfix_enterprise, UINT32_MAX);
	assert_int_equal(o.ipfix_refresh_s, 120);
	assert_int_equal(o.ipfix_refresh_messages, 0);
	assert_int_equal(o.ipfix_message_size, 594);
	assert_int_equal(o.ipfix_queue, 1);
	assert_int_equal(o.ipfix_rate, 0);
	assert_string_equal(err, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *a = bad[i].args;

		assert_int_equal(parse(&o, out, err, "-i", "eth0", a[0], a[1], a[2], a[3], NULL),
				 -EINVAL);
		assert_string_equal(err, bad[i].message);
	}
	assert_int_equal(parse(&o, out, err, "-i", "eth0", "--ipfix", "h:1", "--ipfix", "h:2",
			       "--ipfix", "h:3", "--ipfix", "h:4", "--ipfix", "h:5", "--ipfix",
			       "h:6", "--ipfix", "h:7", "--ipfix", "h:8", NULL),
			 0);
	assert_int_equal(o.n_ipfix, 8);
	assert_int_equal(parse(&o, out, err, "-i", "eth0", "--ipfix", "h:1", "--ipfix", "h:2",
			       "--ipfix", "h:3", "--ipfix", "h:4", "--ipfix", "h:5", "--ipfix",
			       "h:6", "--ipfix", "h:7", "--ipfix", "h:8", "--ipfix", "h:9", NULL),
			 -EINVAL);
	assert_string_equal(err, "flowdb-collector: at most 8 --ipfix destinations\n");
}

static void test_help_and_version(void **state)
{
	char out[4096], err[4096];
	struct options o;

	assert_int_equal(parse(&o, out, err, "--help", NULL), 1);
	assert_non_null(strstr(out, "Usage: flowdb-collector -i IFACE"));
	assert_non_null(strstr(out, "--retain-size SIZE"));
	assert_string_equal(err, "");
	assert_int_equal(parse(&o, out, err, "--version", NULL), 1);
	assert_string_equal(out, "flowdb-collector " FLOWDB_VERSION "\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),	    cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_defaults_and_values), cmocka_unit_test(test_messages),
		cmocka_unit_test(test_help_and_version), cmocka_unit_test(test_check_policy),
		cmocka_unit_test(test_read_paths),	    cmocka_unit_test(test_ipfix),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
