// SPDX-License-Identifier: BSD-2-Clause
/* The payload inspectors over payloads of real clients and servers, every cut of them, and
 * hand-made malformed messages: the dispatcher here, each protocol's own cases in
 * tests/unit/inspect/, one file per protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "inspect.h"
#include "inspect_test.h"

/* Rounds of the byte-flipping test, per fixture. */
#define MUTATIONS 20000

/* Every protocol's fixtures, one after another: how many there are. */
static size_t n_fixtures(void)
{
	size_t i, n = 0;

	for (i = 0; i < inspect_tests_len; i++)
		n += inspect_tests[i]->n_fixtures;
	return n;
}

/* The i-th of every protocol's fixtures (i < n_fixtures()). */
static const struct fixture *fixture_at(size_t i)
{
	size_t t;

	for (t = 0; i >= inspect_tests[t]->n_fixtures; t++)
		i -= inspect_tests[t]->n_fixtures;
	return &inspect_tests[t]->fixtures[i];
}

/* The one inspector for a protocol: its row of inspect_table. */
static int inspect_one(enum inspect_proto proto, const uint8_t *buf, size_t len,
		       struct inspect_result *r)
{
	size_t i;

	for (i = 0; i < inspect_table_len; i++)
		if (inspect_table[i].proto == proto)
			return inspect_table[i].inspect(buf, len, r);
	fail_msg("no inspector for %d", proto);
	return 0;
}

/* Every row of inspect_table has its tests, with fixtures of its protocol, and the other way
 * round: a protocol cannot come without them. */
static void test_table(void **state)
{
	const struct inspect_test *t;
	size_t i, j;

	for (i = 0; i < inspect_table_len; i++) {
		t = inspect_test_of(inspect_table[i].proto);
		if (!t)
			fail_msg("inspector \"%s\" has no tests in tests/unit/inspect/",
				 inspect_table[i].name);
		assert_string_equal(inspect_table[i].name, t->name);
		assert_true(t->n_fixtures > 0 && t->n_cases > 0);
		for (j = 0; j < t->n_fixtures; j++)
			assert_int_equal(t->fixtures[j].proto, t->proto);
	}
	for (i = 0; i < inspect_tests_len; i++) {
		for (j = 0; j < inspect_table_len; j++)
			if (inspect_table[j].proto == inspect_tests[i]->proto)
				break;
		if (j == inspect_table_len)
			fail_msg("tests of \"%s\", which has no inspector", inspect_tests[i]->name);
	}
}

/* STREAMS_START_MAX (collector/streams.h), which the inspectors' tests do not include. */
#define FIXTURE_MAX 20480

/* Each fixture, whole: through inspect_payload() with its ports and through its own
 * inspector, exactly as expected; no other inspector claims it. */
static void test_fixtures(void **state)
{
	struct inspect_result r;
	enum inspect_proto p;
	uint8_t *buf;
	size_t i, j, len;

	for (i = 0; i < n_fixtures(); i++) {
		const struct fixture *fx = fixture_at(i);

		print_message("    %s\n", fx->file);
		buf = load(fx->file, &len);
		/* At most what the collector's streams put together of a message. */
		assert_true(len > 0 && len <= FIXTURE_MAX);
		assert_int_equal(inspect_payload(buf, len, fx->l4proto, fx->src_port, fx->dst_port,
						 &r),
				 fx->proto);
		check_result_sane(&r);
		assert_int_equal(r.proto, fx->proto);
		assert_int_equal(r.encrypted, fx->encrypted);
		assert_string_equal(r.info, fx->info);
		assert_string_equal(inspect_proto_name(r.proto), inspect_test_of(fx->proto)->name);
		fx->details(&r, buf, len);

		assert_int_equal(inspect_one(fx->proto, buf, len, &r), 1);
		assert_string_equal(r.info, fx->info);
		fx->details(&r, buf, len);

		for (j = 0; j < inspect_table_len; j++) {
			const struct inspect_entry *e = &inspect_table[j];

			p = e->proto;
			if (p == fx->proto)
				continue;
			/* A row with ports may share a shape with another (an SMTP and an FTP
			 * reply both start "220"): it must not claim the fixture where the
			 * dispatcher would ask it, on its ports or off them. */
			if (inspect_one(p, buf, len, &r) &&
			    (!e->own_port || e->own_port(fx->src_port, fx->dst_port) ||
			     e->off_port(&r, fx->src_port, fx->dst_port)))
				fail_msg("%s taken for %s", fx->file, inspect_proto_name(p));
			check_result_sane(&r);
		}
		free(buf);
	}
}

/* Whether info is what the header says it is made of, from the result's own fields. */
static void check_info_derived(const char *file, size_t cut, const struct inspect_result *c,
			       const struct inspect_result *w)
{
	char want[INSPECT_METHOD_SIZE + INSPECT_NAME_SIZE + INSPECT_PATH_SIZE];
	const struct inspect_test *t = inspect_test_of(c->proto);

	if (t && t->info)
		t->info(c, w, want, sizeof(want));
	else
		snprintf(want, sizeof(want), "%s", w->info);
	/* info is cut to fit; the fixtures' never need it. */
	if (strcmp(c->info, want))
		fail_msg("%s cut at %zu: info \"%s\", want \"%s\"", file, cut, c->info, want);
}

/* A cut buffer's result against the whole buffer's: not recognised, or the same protocol with
 * every field equal to the whole one's or still empty. */
static void check_cut(const char *file, size_t cut, const struct inspect_result *c,
		      const struct inspect_result *w)
{
	check_result_sane(c);
	if (c->proto == INSPECT_NONE)
		return;
	if (c->proto != w->proto)
		fail_msg("%s cut at %zu: %s, whole %s", file, cut, inspect_proto_name(c->proto),
			 inspect_proto_name(w->proto));
	assert_int_equal(c->encrypted, w->encrypted);
	check_info_derived(file, cut, c, w);
	check_cut_fields(file, cut, c, w);
}

/* Every fixture cut at every length 0..len, each cut in a buffer of exactly that size: through
 * inspect_payload() and through every inspector. Recognised or not, never a field the whole
 * payload would not give. */
static void test_cuts(void **state)
{
	struct inspect_result whole, r;
	enum inspect_proto p;
	uint8_t *buf, *cut;
	size_t i, j, n, len, recognised;

	for (i = 0; i < n_fixtures(); i++) {
		const struct fixture *fx = fixture_at(i);

		buf = load(fx->file, &len);
		inspect_payload(buf, len, fx->l4proto, fx->src_port, fx->dst_port, &whole);
		assert_int_equal(whole.proto, fx->proto);
		recognised = 0;
		for (n = 0; n <= len; n++) {
			cut = dup_exact(buf, n);
			inspect_payload(n ? cut : NULL, n, fx->l4proto, fx->src_port, fx->dst_port,
					&r);
			check_cut(fx->file, n, &r, &whole);
			recognised += r.proto != INSPECT_NONE;
			if (n == len)
				assert_memory_equal(&r, &whole, sizeof(r));
			for (j = 0; j < inspect_table_len; j++) {
				p = inspect_table[j].proto;
				inspect_one(p, cut, n, &r);
				if (p == fx->proto)
					check_cut(fx->file, n, &r, &whole);
				else
					check_result_sane(&r);
			}
			free(cut);
		}
		print_message("    %s: %zu cuts, recognised from %zu bytes on\n", fx->file, len + 1,
			      len + 1 - recognised);
		free(buf);
	}
}

/* Each fixture with bytes overwritten at random (a fixed seed): nothing crashes, every result
 * is sane. */
static void test_mutations(void **state)
{
	struct inspect_result r;
	uint8_t *buf, *m;
	size_t i, len, k, flips;
	uint32_t seed = 12345;
	int round;

	for (i = 0; i < n_fixtures(); i++) {
		const struct fixture *fx = fixture_at(i);

		buf = load(fx->file, &len);
		for (round = 0; round < MUTATIONS; round++) {
			m = dup_exact(buf, len);
			seed = seed * 1103515245 + 12345;
			flips = 1 + (seed >> 16) % 4;
			for (k = 0; k < flips; k++) {
				seed = seed * 1103515245 + 12345;
				m[(seed >> 8) % len] = (uint8_t)(seed >> 24);
			}
			seed = seed * 1103515245 + 12345;
			inspect_payload(m, (seed >> 8) % (len + 1), fx->l4proto, fx->src_port,
					fx->dst_port, &r);
			check_result_sane(&r);
			free(m);
		}
		free(buf);
	}
}

/* ---- Which inspector a payload goes to ---- */

/* Content decides, not the port; ports only where content cannot. */
static void test_ports(void **state)
{
	struct inspect_result r;
	uint8_t *buf;
	size_t len;

	buf = load("http_request.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 443, &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET example.test/api/v1/items");
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 80, &r), INSPECT_NONE);
	assert_int_equal(run(buf, len, 1, 0, 0, &r), INSPECT_NONE);
	free(buf);

	buf = load("tls13_client_hello.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 80, &r), INSPECT_TLS);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(buf);

	buf = load("ssh_client_banner.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 2222, &r), INSPECT_SSH);
	free(buf);

	/* DNS only over UDP; off its ports only an ordinary message... */
	buf = load("dns_query.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 53, &r), INSPECT_NONE);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 5300, &r), INSPECT_DNS);
	assert_string_equal(r.info, "www.example.test");
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 5353, &r), INSPECT_DNS);
	/* ...and never NetBIOS name service's. */
	assert_int_equal(run(buf, len, UDP, 137, 137, &r), INSPECT_NONE);
	free(buf);

	/* QUIC only over UDP, on any port. */
	buf = load("quic_client_initial.bin", &len);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 8443, &r), INSPECT_QUIC);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(buf);

	/* Nothing at all. */
	assert_int_equal(inspect_payload(NULL, 0, TCP, 1, 2, &r), INSPECT_NONE);
	check_result_sane(&r);
	assert_int_equal(inspect_payload(NULL, 0, UDP, 53, 53, &r), INSPECT_NONE);
	assert_int_equal(inspect_tls(NULL, 0, &r), 0);
	assert_int_equal(inspect_http(NULL, 0, &r), 0);
	assert_int_equal(inspect_dns(NULL, 0, &r), 0);
	assert_int_equal(inspect_ssh(NULL, 0, &r), 0);
	assert_int_equal(inspect_quic(NULL, 0, &r), 0);
	assert_int_equal(inspect_http2(NULL, 0, &r), 0);
	assert_int_equal(inspect_smtp(NULL, 0, &r), 0);
	assert_int_equal(inspect_imap(NULL, 0, &r), 0);
	assert_int_equal(inspect_pop3(NULL, 0, &r), 0);
	assert_int_equal(inspect_ftp(NULL, 0, &r), 0);
	assert_null(inspect_proto_name(INSPECT_NONE));
	assert_null(inspect_proto_name((enum inspect_proto)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table), cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_cuts),  cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_ports),
	};
	const struct inspect_test *t;
	int failed;
	size_t i;

	failed = cmocka_run_group_tests_name("inspect", tests, NULL, NULL);
	failed += _cmocka_run_group_tests("proxy", inspect_proxy_cases, inspect_proxy_n_cases, NULL,
					  NULL);
	for (i = 0; i < inspect_tests_len; i++) {
		t = inspect_tests[i];
		failed += _cmocka_run_group_tests(t->name, t->cases, t->n_cases, NULL, NULL);
	}
	return failed;
}
