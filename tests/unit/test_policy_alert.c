// SPDX-License-Identifier: BSD-2-Clause
/* Alert rules and sinks in the policy file: every form with its fields and
 * canonical text, every error with its line, repeated names and sinks,
 * hostile lines, the guard rails about then block, and random alert rules
 * written out by hand and by the canonical text, read back the same. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>
#include "policy.h"
#include "units.h"

#define S USEC_PER_SEC
#define MIN (60 * S)

/* Writes text to a new temporary file, parses it, and leaves what was said
 * on err in *msgs (malloc'd) and the file's name in path. */
static int parse_text(const char *text, struct policy *p, char **msgs, char path[64])
{
	size_t size, n = strlen(text);
	FILE *err;
	int fd, ret;

	strcpy(path, "/tmp/test_policy_alert.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	err = open_memstream(msgs, &size);
	ret = policy_parse_file(path, p, err);
	fclose(err);
	unlink(path);
	return ret;
}

/* Parses a file of valid lines, failing the test with what was said
 * otherwise. */
static void parse_ok(const char *text, struct policy *p)
{
	char path[64], *msgs;

	if (parse_text(text, p, &msgs, path))
		fail_msg("'%s': %s", text, msgs);
	assert_string_equal(msgs, "");
	free(msgs);
}

/* Every form, each alone in a file: its canonical text. */
static void test_forms(void **state)
{
	static const struct {
		const char *text;
		const char *canonical;
	} cases[] = {
		{ "alert scan src distinct dst_port > 100 in 60s then block 10m severity high",
		  "alert scan src distinct dst_port > 100 in 1m then block 10m severity high" },
		{ "alert s dst distinct src_addr > 0 in 1500ms",
		  "alert s dst distinct src_addr > 0 in 1500ms" },
		{ "alert s src distinct dst_addr > 5 in 1h",
		  "alert s src distinct dst_addr > 5 in 1h" },
		{ "alert s src distinct src_port > 5 in 90",
		  "alert s src distinct src_port > 5 in 90s" },
		{ "alert s dst distinct dst_port > 5 in 24h",
		  "alert s dst distinct dst_port > 5 in 1d" },
		{ "alert flood src syn > 200/s then block 5m",
		  "alert flood src syn > 200/s then block 5m" },
		{ "alert flood src syn > 200 in 1s", "alert flood src syn > 200/s" },
		{ "alert flood src syn > 200 in 1000ms", "alert flood src syn > 200/s" },
		{ "alert flood dst syn > 0 in 10s", "alert flood dst syn > 0 in 10s" },
		{ "alert api src http_requests > 600 in 60s",
		  "alert api src http_requests > 600 in 1m" },
		{ "alert d src dns_queries > 1000 in 1m suppress 1m",
		  "alert d src dns_queries > 1000 in 1m" },
		{ "alert d src dns_queries > 1000 in 30s suppress 30s",
		  "alert d src dns_queries > 1000 in 30s suppress 30s" },
		{ "alert d src dns_queries > 1000 in 30s suppress 60s",
		  "alert d src dns_queries > 1000 in 30s" },
		{ "alert d src dns_queries > 1000 in 5m suppress 5m",
		  "alert d src dns_queries > 1000 in 5m" },
		{ "alert d src dns_queries > 1000 in 5m suppress 1m",
		  "alert d src dns_queries > 1000 in 5m suppress 1m" },
		{ "alert exfil src bytes > 1G in 5m", "alert exfil src bytes > 1G in 5m" },
		{ "alert exfil dst bytes > 1536MB in 5m", "alert exfil dst bytes > 1536M in 5m" },
		{ "alert exfil dst bytes > 1024K in 5m", "alert exfil dst bytes > 1M in 5m" },
		{ "alert exfil dst bytes > 1500 in 5m", "alert exfil dst bytes > 1500 in 5m" },
		{ "alert exfil dst bytes > 1500B in 5m", "alert exfil dst bytes > 1500 in 5m" },
		{ "alert exfil dst bytes > 0 in 5m", "alert exfil dst bytes > 0 in 5m" },
		{ "alert exfil dst bytes > 1024T in 1s", "alert exfil dst bytes > 1024T in 1s" },
		{ "alert p src packets > 1000000000000000 in 1m",
		  "alert p src packets > 1000000000000000 in 1m" },
		{ "alert f src flows > 10 in 2w", NULL },
		{ "alert f src flows > 10 in 1d", "alert f src flows > 10 in 1d" },
		{ "alert f src failed > 10 in 1m then block 1h established",
		  "alert f src failed > 10 in 1m then block 1h established" },
		{ "alert c src cleartext > 0 in 1m severity critical",
		  "alert c src cleartext > 0 in 1m severity critical" },
		{ "alert c src cleartext > 0 in 1m severity medium",
		  "alert c src cleartext > 0 in 1m" },
		{ "alert c src cleartext > 0 in 1m severity low suppress 24h then block 5200w",
		  "alert c src cleartext > 0 in 1m then block 5200w severity low suppress 1d" },
		{ "alert a src anomaly bytes 4sigma", "alert a src anomaly bytes 4sigma" },
		{ "alert a src anomaly packets 3.5sigma", "alert a src anomaly packets 3.5sigma" },
		{ "alert a src anomaly flows 3.050sigma", "alert a src anomaly flows 3.05sigma" },
		{ "alert a src anomaly flows 0.001sigma", "alert a src anomaly flows 0.001sigma" },
		{ "alert a src anomaly flows 100sigma", "alert a src anomaly flows 100sigma" },
		{ "alert a src anomaly flows 100.000sigma", "alert a src anomaly flows 100sigma" },
		{ "alert a src anomaly bytes 4sigma per 1m warmup 30m",
		  "alert a src anomaly bytes 4sigma" },
		{ "alert a src anomaly bytes 4sigma per 5m",
		  "alert a src anomaly bytes 4sigma per 5m" },
		{ "alert a src anomaly bytes 4sigma per 1s warmup 1s suppress 1m",
		  "alert a src anomaly bytes 4sigma per 1s warmup 1s" },
		{ "alert a dst anomaly bytes 4sigma per 1h warmup 30d suppress 2h",
		  "alert a dst anomaly bytes 4sigma per 1h warmup 30d suppress 2h" },
		{ "alert a src anomaly bytes 4sigma warmup 1h then block 1m established severity high",
		  "alert a src anomaly bytes 4sigma warmup 1h then block 1m established severity "
		  "high" },
		{ "alert a src anomaly bytes 4sigma suppress 1h severity high per 10m warmup 6h",
		  "alert a src anomaly bytes 4sigma per 10m warmup 6h severity high suppress 1h" },
		{ "alert\tA.b-c_9 \t src  syn  >  5/s   # comment \" \xff",
		  "alert A.b-c_9 src syn > 5/s" },
	};
	char text[POLICY_TEXT_MAX];
	struct policy p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[64], *msgs;
		int ret = parse_text(cases[i].text, &p, &msgs, path);

		if (!cases[i].canonical) {
			/* 2w: past the longest window. */
			assert_int_equal(ret, -EINVAL);
			assert_non_null(strstr(msgs, ":1: in 2w: at most 24h\n"));
		} else {
			if (ret)
				fail_msg("'%s': %s", cases[i].text, msgs);
			assert_int_equal(p.n_alerts, 1);
			assert_int_equal(p.n_rules, 0);
			assert_int_equal(p.alerts[0].line, 1);
			assert_string_equal(policy_alert_text(&p.alerts[0], text, sizeof(text)),
					    cases[i].canonical);
		}
		free(msgs);
		policy_free(&p);
	}
}

/* The fields each form sets, its defaults, and where the lines go. */
static void test_fields(void **state)
{
	static const char text[] =
		"# alerts and sinks among rules\n"
		"allow 10.0.0.0/8\n"
		"alert scan src distinct dst_port > 100 in 60s then block 10m "
		"severity high\n"
		"sink jsonl -\n"
		"alert flood dst syn > 200/s\n"
		"alert exfil src bytes > 1G in 5m suppress 10m\n"
		"alert base src anomaly packets 3.25sigma per 5m\n"
		"alert fail src failed > 3 in 30s then block 1h established\n"
		"block src 192.0.2.0/24\n"
		"sink syslog\n"
		"sink syslog facility local7 socket /run/log.sock\n"
		"sink command \"logger -t \\\"flowdb\\\" \\\\\" timeout 2s\n"
		"sink webhook https://hooks.example/x?a=b&c=%20 queue 7 timeout 1500ms\n"
		"mode monitor\n";
	char metric[32];
	struct policy p;
	const struct policy_alert *a;
	const struct policy_sink *s;

	parse_ok(text, &p);
	assert_int_equal(p.mode, POLICY_MONITOR);
	assert_int_equal(p.n_rules, 2);
	assert_int_equal(p.rules[0].line, 2);
	assert_int_equal(p.rules[1].line, 9);
	assert_int_equal(p.n_alerts, 5);
	assert_int_equal(p.n_sinks, 5);

	a = &p.alerts[0];
	assert_string_equal(a->name, "scan");
	assert_int_equal(a->line, 3);
	assert_int_equal(a->side, POLICY_SIDE_SRC);
	assert_int_equal(a->metric, POLICY_METRIC_DISTINCT);
	assert_int_equal(a->field, POLICY_FIELD_DST_PORT);
	assert_int_equal(a->threshold, 100);
	assert_int_equal(a->window_us, 60 * S);
	assert_int_equal(a->severity, POLICY_SEVERITY_HIGH);
	assert_int_equal(a->suppress_us, 60 * S);
	assert_int_equal(a->block_us, 600 * S);
	assert_false(a->established);
	assert_string_equal(policy_metric_text(a, metric, sizeof(metric)), "distinct dst_port");

	a = &p.alerts[1];
	assert_int_equal(a->line, 5);
	assert_int_equal(a->side, POLICY_SIDE_DST);
	assert_int_equal(a->metric, POLICY_METRIC_SYN);
	assert_int_equal(a->field, POLICY_FIELD_NONE);
	assert_int_equal(a->threshold, 200);
	assert_int_equal(a->window_us, S);
	assert_int_equal(a->severity, POLICY_SEVERITY_MEDIUM);
	assert_int_equal(a->suppress_us, 60 * S); /* a minute at least */
	assert_int_equal(a->block_us, 0);
	assert_string_equal(policy_metric_text(a, metric, sizeof(metric)), "syn");

	a = &p.alerts[2];
	assert_int_equal(a->metric, POLICY_METRIC_BYTES);
	assert_int_equal(a->threshold, 1ULL << 30);
	assert_int_equal(a->window_us, 300 * S);
	assert_int_equal(a->suppress_us, 600 * S);

	a = &p.alerts[3];
	assert_int_equal(a->metric, POLICY_METRIC_ANOMALY);
	assert_int_equal(a->base, POLICY_METRIC_PACKETS);
	assert_true(a->sigmas == 3.25);
	assert_int_equal(a->bucket_us, 300 * S);
	assert_int_equal(a->warmup_us, 30 * 300 * S);
	assert_int_equal(a->window_us, 300 * S);
	assert_int_equal(a->threshold, 0);
	assert_int_equal(a->suppress_us, 300 * S);
	assert_string_equal(policy_metric_text(a, metric, sizeof(metric)), "anomaly packets");

	a = &p.alerts[4];
	assert_int_equal(a->metric, POLICY_METRIC_FAILED);
	assert_int_equal(a->window_us, 30 * S);
	assert_int_equal(a->suppress_us, 60 * S);
	assert_int_equal(a->block_us, 3600 * S);
	assert_true(a->established);

	s = &p.sinks[0];
	assert_int_equal(s->kind, POLICY_SINK_JSONL);
	assert_int_equal(s->line, 4);
	assert_string_equal(s->target, "-");
	s = &p.sinks[1];
	assert_int_equal(s->kind, POLICY_SINK_SYSLOG);
	assert_int_equal(s->line, 10);
	assert_string_equal(s->target, "/dev/log");
	assert_int_equal(s->facility, LOG_DAEMON);
	s = &p.sinks[2];
	assert_string_equal(s->target, "/run/log.sock");
	assert_int_equal(s->facility, LOG_LOCAL7);
	s = &p.sinks[3];
	assert_int_equal(s->kind, POLICY_SINK_COMMAND);
	assert_string_equal(s->target, "logger -t \"flowdb\" \\");
	assert_int_equal(s->timeout_us, 2 * S);
	assert_int_equal(s->queue, 1000);
	policy_free(&p);
	assert_null(p.alerts);
	assert_null(p.sinks);
	assert_int_equal(p.n_alerts, 0);
	assert_int_equal(p.n_sinks, 0);

	parse_ok("sink webhook https://hooks.example/x?a=b&c=%20 queue 7 timeout 1500ms\n"
		 "sink webhook http://h\n"
		 "sink command \"true\"\n"
		 "sink jsonl /var/log/flowdb/alerts.jsonl\n"
		 "sink syslog facility auth\nsink syslog facility authpriv socket /a\n"
		 "sink syslog facility user socket /b\n"
		 "sink syslog facility local0 socket /c\n",
		 &p);
	assert_int_equal(p.n_sinks, 8);
	assert_int_equal(p.sinks[0].kind, POLICY_SINK_WEBHOOK);
	assert_string_equal(p.sinks[0].target, "https://hooks.example/x?a=b&c=%20");
	assert_int_equal(p.sinks[0].queue, 7);
	assert_int_equal(p.sinks[0].timeout_us, 1500000);
	assert_int_equal(p.sinks[1].timeout_us, 5 * S);
	assert_int_equal(p.sinks[1].queue, 1000);
	assert_int_equal(p.sinks[2].timeout_us, 5 * S);
	assert_string_equal(p.sinks[3].target, "/var/log/flowdb/alerts.jsonl");
	assert_int_equal(p.sinks[4].facility, LOG_AUTH);
	assert_int_equal(p.sinks[5].facility, LOG_AUTHPRIV);
	assert_int_equal(p.sinks[6].facility, LOG_USER);
	assert_int_equal(p.sinks[7].facility, LOG_LOCAL0);
	policy_free(&p);

	assert_string_equal(policy_severity_name(POLICY_SEVERITY_LOW), "low");
	assert_string_equal(policy_severity_name(POLICY_SEVERITY_MEDIUM), "medium");
	assert_string_equal(policy_severity_name(POLICY_SEVERITY_HIGH), "high");
	assert_string_equal(policy_severity_name(POLICY_SEVERITY_CRITICAL), "critical");
	assert_string_equal(policy_severity_name((enum policy_severity)0), "?");
	assert_string_equal(policy_severity_name((enum policy_severity)99), "?");
}

/*
 * Every error, in one file among valid lines: one message per bad line,
 * each naming its own line, and nothing kept.
 */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "alert", "alert needs a name: alert NAME src|dst METRIC > N in DUR" },
		{ "alert 9x src syn > 5/s",
		  "alert name '9x' is not 1 to 63 letters, digits, '_', '.' or '-' starting with a "
		  "letter" },
		{ "alert _x src syn > 5/s",
		  "alert name '_x' is not 1 to 63 letters, digits, '_', '.' or '-' starting with a "
		  "letter" },
		{ "alert a/b src syn > 5/s",
		  "alert name 'a/b' is not 1 to 63 letters, digits, '_', '.' or '-' starting with a "
		  "letter" },
		{ "alert \"a\" src syn > 5/s",
		  "alert name '\"a\"' is not 1 to 63 letters, digits, '_', '.' or '-' starting with "
		  "a letter" },
		{ "alert x", "alert x needs src or dst after its name (whose address is the key)" },
		{ "alert x any syn > 5/s",
		  "alert x needs src or dst after its name (whose address is the key)" },
		{ "alert x src",
		  "alert x needs a metric: distinct, syn, http_requests, dns_queries, bytes, "
		  "packets, flows, failed, cleartext or anomaly" },
		{ "alert x src SYN > 5/s",
		  "unknown metric 'SYN' (expected distinct, syn, http_requests, dns_queries, bytes, "
		  "packets, flows, failed, cleartext or anomaly)" },
		{ "alert x src distinct",
		  "distinct takes dst_port, dst_addr, src_addr or src_port" },
		{ "alert x src distinct port > 1 in 1m",
		  "distinct takes dst_port, dst_addr, src_addr or src_port, not 'port'" },
		{ "alert x src distinct src_addr > 1 in 1m",
		  "src distinct src_addr counts the key itself: it is always 1" },
		{ "alert x dst distinct dst_addr > 1 in 1m",
		  "dst distinct dst_addr counts the key itself: it is always 1" },
		{ "alert x src distinct dst_port",
		  "expected '> N in DUR' after distinct dst_port" },
		{ "alert x src distinct dst_port >= 1 in 1m",
		  "expected '> N in DUR' after distinct dst_port" },
		{ "alert x src distinct dst_port >100 in 1m",
		  "expected '> N in DUR' after distinct dst_port" },
		{ "alert x src syn", "expected '> N in DUR' or '> N/s' after syn" },
		{ "alert x src syn >", "expected '> N in DUR' or '> N/s' after syn" },
		{ "alert x src packets > 1", "expected 'in DUR' after > 1" },
		{ "alert x src packets > 1 for 1m", "expected 'in DUR' after > 1" },
		{ "alert x src packets > 1 in", "expected 'in DUR' after > 1" },
		{ "alert x src packets > -1 in 1m",
		  "threshold '-1' is not a whole number from 0 to 1000000000000000" },
		{ "alert x src packets > 1.5 in 1m",
		  "threshold '1.5' is not a whole number from 0 to 1000000000000000" },
		{ "alert x src packets > 1K in 1m",
		  "threshold '1K' is not a whole number from 0 to 1000000000000000" },
		{ "alert x src packets > 1000000000000001 in 1m",
		  "threshold '1000000000000001' is not a whole number from 0 to 1000000000000000" },
		{ "alert x src packets > 18446744073709551616 in 1m",
		  "threshold '18446744073709551616' is not a whole number from 0 to "
		  "1000000000000000" },
		{ "alert x src syn > 18446744073709551616/s",
		  "threshold '18446744073709551616' is not a whole number from 0 to "
		  "1000000000000000" },
		{ "alert x src syn > /s",
		  "threshold '/s' is not a whole number from 0 to 1000000000000000" },
		{ "alert x src syn > 5/m", "threshold '5/m' is not a whole number from 0 to "
					   "1000000000000000" },
		{ "alert x src flows > 5/s", "'5/s': only syn takes N/s, write '> 5 in 1s'" },
		{ "alert x src syn > 5/s in 1m",
		  "unexpected 'in' in alert rule (expected then block, severity or suppress)" },
		{ "alert x src bytes > 2P in 1m",
		  "threshold '2P' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src bytes > 1025T in 1m",
		  "threshold '1025T' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src bytes > 0K in 1m",
		  "threshold '0K' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src bytes > 99999999999999999999K in 1m",
		  "threshold '99999999999999999999K' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src bytes > 18014398509481984K in 1m",
		  "threshold '18014398509481984K' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src bytes > 1g in 1m",
		  "threshold '1g' is not a size from 0 to 1024T (e.g. 500M, 1G)" },
		{ "alert x src flows > 5 in 0s", "in '0s': bad duration (use e.g. 30s, 5m, 1h)" },
		{ "alert x src flows > 5 in 1.5m",
		  "in '1.5m': bad duration (use e.g. 30s, 5m, 1h)" },
		{ "alert x src flows > 5 in 86401s", "in 86401s: at most 24h" },
		{ "alert x src flows > 5 in 99999999999999999999999w",
		  "in 99999999999999999999999w: at most 24h" },
		{ "alert x src flows > 5 in 1m established",
		  "'established' goes right after then block DUR" },
		{ "alert x src flows > 5 in 1m severity high established",
		  "'established' goes right after then block DUR" },
		{ "alert x src flows > 5 in 1m then", "then takes block DUR: then block 10m" },
		{ "alert x src flows > 5 in 1m then block",
		  "then takes block DUR: then block 10m" },
		{ "alert x src flows > 5 in 1m then drop 5m",
		  "then takes block DUR: then block 10m" },
		{ "alert x src flows > 5 in 1m then block forever",
		  "then block 'forever': bad duration (use e.g. 30s, 5m, 1h)" },
		{ "alert x src flows > 5 in 1m then block 5201w",
		  "then block 5201w: at most 5200w" },
		{ "alert x src flows > 5 in 1m then block 1m then block 2m",
		  "then block given twice" },
		{ "alert x src flows > 5 in 1m then block 1m established established",
		  "'established' goes right after then block DUR" },
		{ "alert x src flows > 5 in 1m severity", "severity needs a value" },
		{ "alert x src flows > 5 in 1m severity HIGH",
		  "severity is low, medium, high or critical, not 'HIGH'" },
		{ "alert x src flows > 5 in 1m severity low severity low", "severity given twice" },
		{ "alert x src flows > 5 in 1m suppress 0",
		  "suppress '0': bad duration (use e.g. 30s, "
		  "5m, 1h)" },
		{ "alert x src flows > 5 in 1m suppress 25h", "suppress 25h: at most 24h" },
		{ "alert x src flows > 5 in 1m suppress 1m suppress 1m", "suppress given twice" },
		{ "alert x src flows > 5 in 1m per 1m",
		  "unexpected 'per' in alert rule (expected then block, severity or suppress)" },
		{ "alert x src flows > 5 in 1m reason \"x\"",
		  "unexpected 'reason' in alert rule (expected then block, severity or suppress)" },
		{ "alert x src anomaly", "anomaly takes bytes, packets or flows" },
		{ "alert x src anomaly syn 3sigma",
		  "anomaly takes bytes, packets or flows, not 'syn'" },
		{ "alert x src anomaly bytes",
		  "anomaly bytes needs a number of standard deviations, such as 4sigma" },
		{ "alert x src anomaly bytes > 5 in 1m",
		  "'>' is not a number of standard deviations such as 4sigma or 3.5sigma (at most 3 "
		  "decimals)" },
		{ "alert x src anomaly bytes 3",
		  "'3' is not a number of standard deviations such as 4sigma or 3.5sigma (at most 3 "
		  "decimals)" },
		{ "alert x src anomaly bytes sigma",
		  "'sigma' is not a number of standard deviations such as 4sigma or 3.5sigma (at "
		  "most 3 decimals)" },
		{ "alert x src anomaly bytes 3.sigma",
		  "'3.sigma' is not a number of standard deviations such as 4sigma or 3.5sigma (at "
		  "most 3 decimals)" },
		{ "alert x src anomaly bytes .5sigma",
		  "'.5sigma' is not a number of standard deviations such as 4sigma or 3.5sigma (at "
		  "most 3 decimals)" },
		{ "alert x src anomaly bytes 3.0001sigma",
		  "'3.0001sigma' is not a number of standard deviations such as 4sigma or 3.5sigma "
		  "(at most 3 decimals)" },
		{ "alert x src anomaly bytes -3sigma",
		  "'-3sigma' is not a number of standard deviations such as 4sigma or 3.5sigma (at "
		  "most 3 decimals)" },
		{ "alert x src anomaly bytes 1e2sigma",
		  "'1e2sigma' is not a number of standard deviations such as 4sigma or 3.5sigma (at "
		  "most 3 decimals)" },
		{ "alert x src anomaly bytes 3.5.1sigma",
		  "'3.5.1sigma' is not a number of standard deviations such as 4sigma or 3.5sigma "
		  "(at most 3 decimals)" },
		{ "alert x src anomaly bytes 99999999999999999999sigma",
		  "99999999999999999999sigma: the number of standard deviations is above 0, at most "
		  "100" },
		{ "alert x src anomaly bytes 101.5sigma",
		  "101.5sigma: the number of standard deviations is above 0, at most 100" },
		{ "alert x src anomaly bytes 99999999999999999999.5.5sigma",
		  "'99999999999999999999.5.5sigma' is not a number of standard deviations such as "
		  "4sigma or 3.5sigma (at most 3 decimals)" },
		{ "alert x src anomaly bytes 0sigma",
		  "0sigma: the number of standard deviations is above 0, at most 100" },
		{ "alert x src anomaly bytes 0.000sigma",
		  "0.000sigma: the number of standard deviations is above 0, at most 100" },
		{ "alert x src anomaly bytes 100.001sigma",
		  "100.001sigma: the number of standard deviations is above 0, at most 100" },
		{ "alert x src anomaly bytes 4294967295sigma",
		  "4294967295sigma: the number of standard deviations is above 0, at most 100" },
		{ "alert x src anomaly bytes 3sigma per 999ms",
		  "per 999ms: a bucket is at least 1s" },
		{ "alert x src anomaly bytes 3sigma per 61m", "per 61m: at most 1h" },
		{ "alert x src anomaly bytes 3sigma per 5m warmup 1m",
		  "warmup 1m is shorter than one bucket (per 5m)" },
		{ "alert x src anomaly bytes 3sigma warmup 59s",
		  "warmup 59s is shorter than one bucket (per 1m)" },
		{ "alert x src anomaly bytes 3sigma warmup 31d", "warmup 31d: at most 30d" },
		{ "alert x src anomaly bytes 3sigma per 1m per 1m", "per given twice" },
		{ "alert x src anomaly bytes 3sigma bogus",
		  "unexpected 'bogus' in alert rule (expected per, warmup, then block, severity or "
		  "suppress)" },
		{ "sink", "sink needs a kind: syslog, jsonl FILE, command \"CMD\" or webhook URL" },
		{ "sink file /x",
		  "unknown sink 'file' (expected syslog, jsonl, command or webhook)" },
		{ "sink syslog facility", "facility needs a value" },
		{ "sink syslog facility kern",
		  "facility 'kern' is not daemon, auth, authpriv, user or local0 to local7" },
		{ "sink syslog facility local8",
		  "facility 'local8' is not daemon, auth, authpriv, user or local0 to local7" },
		{ "sink syslog socket /a socket /b", "socket given twice" },
		{ "sink syslog timeout 5s",
		  "unexpected 'timeout' in sink syslog (expected facility or socket)" },
		{ "sink syslog socket \"/dev/log\"",
		  "socket \"/dev/log\" is one word without quotes (no spaces)" },
		{ "sink jsonl", "sink jsonl needs a file, or - for standard output" },
		{ "sink jsonl a b", "unexpected 'b' after sink jsonl FILE" },
		{ "sink jsonl - timeout 5s", "unexpected 'timeout' after sink jsonl FILE" },
		{ "sink jsonl \"a b\"",
		  "sink jsonl \"a b\" is one word without quotes (no spaces)" },
		{ "sink command",
		  "sink command needs a command line in quotes: sink command \"CMD\"" },
		{ "sink command logger",
		  "command takes a quoted text, command \"...\", not 'logger'" },
		{ "sink command \"\"", "sink command: the command is empty" },
		{ "sink command \"a\\nb\"", "command: unknown escape '\\n' (only \\\" and \\\\)" },
		{ "sink command \"a\tb\"",
		  "command has a byte that is not printable UTF-8 (0x09, byte 2 of it)" },
		{ "sink command \"\xc3\x28\"",
		  "command has a byte that is not printable UTF-8 (0xc3, byte 1 of it)" },
		{ "sink command \"x\" timeout 0s",
		  "timeout '0s': bad duration (use e.g. 30s, 5m, 1h)" },
		{ "sink command \"x\" timeout 301s", "timeout 301s: at most 5m" },
		{ "sink command \"x\" queue 0", "queue '0' is not a number from 1 to 1000000" },
		{ "sink command \"x\" queue 1000001",
		  "queue '1000001' is not a number from 1 to 1000000" },
		{ "sink command \"x\" queue", "queue needs a value" },
		{ "sink command \"x\" queue 5 queue 5", "queue given twice" },
		{ "sink command \"x\" facility daemon",
		  "unexpected 'facility' in sink command (expected timeout or queue)" },
		{ "sink webhook", "sink webhook needs a URL, http://... or https://..." },
		{ "sink webhook ftp://x",
		  "webhook URL 'ftp://x' does not start with http:// or https:// and a host" },
		{ "sink webhook http://",
		  "webhook URL 'http://' does not start with http:// or https:// and a host" },
		{ "sink webhook https://",
		  "webhook URL 'https://' does not start with http:// or https:// and a host" },
		{ "sink webhook HTTP://x",
		  "webhook URL 'HTTP://x' does not start with http:// or https:// and a host" },
		{ "sink webhook \"http://x\"",
		  "webhook URL \"http://x\" is one word without quotes (no spaces)" },
		{ "sink webhook http://x retries 3",
		  "unexpected 'retries' in sink webhook (expected timeout or queue)" },
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]), esize, fsize;
	char path[64], *msgs, *expected, *file;
	struct policy p;
	FILE *e, *f;

	/* Bad line i at line 2i+2, valid lines of every kind between them. */
	f = open_memstream(&file, &fsize);
	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			fprintf(f, "alert ok%zu src syn > 5/s\n", i);
		else if (i % 3 == 1)
			fprintf(f, "sink jsonl /tmp/x%zu\n", i);
		else
			fprintf(f, "block src 192.0.2.%zu\n", i % 250);
		fprintf(f, "%s\n", cases[i].text);
	}
	fclose(f);
	assert_int_equal(parse_text(file, &p, &msgs, path), -EINVAL);
	e = open_memstream(&expected, &esize);
	for (i = 0; i < n; i++)
		fprintf(e, "flowdb-collector: %s:%zu: %s\n", path, 2 * i + 2, cases[i].message);
	fclose(e);
	assert_string_equal(msgs, expected);
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(p.n_alerts, 0);
	assert_int_equal(p.n_sinks, 0);
	assert_null(p.alerts);
	assert_null(p.sinks);
	policy_free(&p);
	free(msgs);
	free(expected);
	free(file);
}

/* Names are unique and sinks differ, also after an error; the numbers of
 * alerts and sinks are bounded; flowdb-ctl's line parser refuses both. */
static void test_repeats(void **state)
{
	char path[64], *msgs, *text, want[1024], why[POLICY_ERR_MAX];
	struct policy_rule r;
	struct policy p;
	size_t size, i;
	FILE *f;

	assert_int_equal(parse_text("alert a src syn > 5/s\n"
				    "block 1.2.3.4\n"
				    "alert b src syn > 5/s\n"
				    "alert a dst flows > 5 in 1m\n"
				    "alert A src syn > 5/s\n"
				    "sink jsonl -\n"
				    "sink jsonl /x\n"
				    "sink command \"/x\"\n"
				    "sink syslog\n"
				    "sink syslog facility local1 socket /dev/log\n"
				    "sink jsonl -\n"
				    "alert b src syn > 5/s\n",
				    &p, &msgs, path),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "flowdb-collector: %1$s:2: block needs src or dst before the network\n"
		 "flowdb-collector: %1$s:4: alert a given twice (first on line 1)\n"
		 "flowdb-collector: %1$s:10: the same sink as line 9\n"
		 "flowdb-collector: %1$s:11: the same sink as line 6\n"
		 "flowdb-collector: %1$s:12: alert b given twice (first on line 3)\n",
		 path);
	assert_string_equal(msgs, want);
	assert_int_equal(p.n_alerts, 0);
	free(msgs);
	policy_free(&p);

	/* POLICY_ALERTS_MAX alerts and POLICY_SINKS_MAX sinks, then one more
	 * of each. */
	f = open_memstream(&text, &size);
	for (i = 0; i < POLICY_ALERTS_MAX; i++)
		fprintf(f, "alert a%zu src syn > %zu/s\n", i, i);
	for (i = 0; i < POLICY_SINKS_MAX; i++)
		fprintf(f, "sink jsonl /tmp/%zu\n", i);
	fclose(f);
	parse_ok(text, &p);
	assert_int_equal(p.n_alerts, POLICY_ALERTS_MAX);
	assert_int_equal(p.n_sinks, POLICY_SINKS_MAX);
	assert_int_equal(p.alerts[POLICY_ALERTS_MAX - 1].threshold, POLICY_ALERTS_MAX - 1);
	policy_free(&p);
	text = realloc(text, size + 128);
	strcat(text, "alert more src syn > 5/s\nsink jsonl -\n");
	assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
	snprintf(want, sizeof(want),
		 "flowdb-collector: %1$s:%2$d: more than %3$d alert rules\n"
		 "flowdb-collector: %1$s:%4$d: more than %5$d sinks\n",
		 path, POLICY_ALERTS_MAX + POLICY_SINKS_MAX + 1, POLICY_ALERTS_MAX,
		 POLICY_ALERTS_MAX + POLICY_SINKS_MAX + 2, POLICY_SINKS_MAX);
	assert_string_equal(msgs, want);
	free(msgs);
	free(text);
	policy_free(&p);

	why[0] = '\0';
	assert_int_equal(policy_parse_line("alert a src syn > 5/s", &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "an alert rule is read from the policy file only: edit it, then "
				 "flowdb-ctl reload");
	assert_int_equal(policy_parse_line("alert", &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "an alert rule is read from the policy file only: edit it, then "
				 "flowdb-ctl reload");
	assert_int_equal(policy_parse_line("sink jsonl -", &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why,
			    "a sink is read from the policy file only: edit it, then flowdb-ctl "
			    "reload");
}

/* Hostile lines: names at and past their length, texts at and past the
 * target's size, quotes; each one error or a rule, never a crash. */
static void test_hostile(void **state)
{
	char path[64], *msgs, text[POLICY_LINE_MAX + 64], name[80], want[POLICY_LINE_MAX];
	struct policy p;
	size_t i;

	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "alert %s src syn > 5/s\n", name);
	parse_ok(text, &p);
	assert_string_equal(p.alerts[0].name, name);
	policy_free(&p);
	name[63] = 'n';
	name[64] = '\0';
	snprintf(text, sizeof(text), "alert %s src syn > 5/s\n", name);
	assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
	snprintf(want, sizeof(want), ":1: alert name '%.48s...' is not 1 to 63 letters", name);
	assert_non_null(strstr(msgs, want));
	free(msgs);

	/* A command of 1023 bytes (after its escapes) fits, 1024 does not. */
	for (i = 1023; i <= 1024; i++) {
		size_t used = (size_t)sprintf(text, "sink command \""), k;

		for (k = 0; k < i; k++)
			used += (size_t)sprintf(text + used, k % 2 ? "\\\"" : "x");
		sprintf(text + used, "\"\n");
		if (i == 1023) {
			parse_ok(text, &p);
			assert_int_equal(strlen(p.sinks[0].target), 1023);
			assert_int_equal(p.sinks[0].target[1], '"');
			policy_free(&p);
		} else {
			assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
			assert_non_null(
				strstr(msgs, ":1: command is 1024 bytes long, at most 1023\n"));
			free(msgs);
		}
	}
	/* A URL and a file name likewise; a syslog socket fits sun_path. */
	for (i = 1023; i <= 1024; i++) {
		sprintf(text, "sink webhook http://");
		memset(text + 11 + 9, 'u', i - 7);
		strcpy(text + 13 + i, "\n");
		if (i == 1023) {
			parse_ok(text, &p);
			assert_int_equal(strlen(p.sinks[0].target), 1023);
			policy_free(&p);
		} else {
			assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
			assert_non_null(
				strstr(msgs, ":1: webhook URL is 1024 bytes long, at most 1023\n"));
			free(msgs);
		}
	}
	sprintf(text, "sink syslog socket /");
	memset(text + 20, 's', 106);
	strcpy(text + 126, "\n");
	parse_ok(text, &p);
	assert_int_equal(strlen(p.sinks[0].target), 107);
	policy_free(&p);
	strcpy(text + 126, "s\n");
	assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
	assert_non_null(strstr(msgs, ":1: socket is 108 bytes long, at most 107\n"));
	free(msgs);
	sprintf(text, "sink jsonl /");
	memset(text + 12, 'j', 1023);
	strcpy(text + 12 + 1023, "\n");
	assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
	assert_non_null(strstr(msgs, ":1: sink jsonl is 1024 bytes long, at most 1023\n"));
	free(msgs);

	/* A word of 4000 digits: an error that shows its start only. */
	strcpy(text, "alert x src packets > ");
	memset(text + 22, '9', 4000);
	strcpy(text + 4022, " in 1m\n");
	assert_int_equal(parse_text(text, &p, &msgs, path), -EINVAL);
	snprintf(want, sizeof(want),
		 "flowdb-collector: %s:1: threshold '%.48s...' is not a whole number from 0 to "
		 "1000000000000000\n",
		 path, text + 22);
	assert_string_equal(msgs, want);
	free(msgs);

	/* Token soup: the grammar's words in random order and number. Every
	 * line is one error or one alert or sink, never two messages. */
	{
		static const char *const tokens[] = {
			"alert",
			"sink",
			"src",
			"dst",
			"distinct",
			"dst_port",
			"syn",
			"bytes",
			"anomaly",
			"4sigma",
			">",
			"5",
			"5/s",
			"in",
			"1m",
			"then",
			"block",
			"established",
			"severity",
			"high",
			"suppress",
			"per",
			"warmup",
			"syslog",
			"jsonl",
			"command",
			"\"x\"",
			"webhook",
			"http://x",
			"timeout",
			"queue",
			"facility",
			"local3",
			"0",
			"1G",
			"x",
			"99999999999999999999",
			"\"\\\"\"",
			"-",
			"packets",
		};
		char *file;
		size_t size, lines = 0, k, words, count = 0, seen;
		FILE *f = open_memstream(&file, &size);

		srand(1717);
		for (i = 0; i < 20000; i++) {
			fputs(tokens[rand() % 2], f);
			if (rand() % 2)
				fprintf(f, " n%zu", i);
			words = (size_t)rand() % 14;
			for (k = 0; k < words; k++)
				fprintf(f, " %s", tokens[rand() % 40]);
			fputc('\n', f);
		}
		fclose(f);
		parse_text(file, &p, &msgs, path);
		for (k = 0, seen = 0; msgs[k]; k++) {
			if (msgs[k] != '\n')
				continue;
			count++;
		}
		/* At most one message per line, each of the form file:line:. */
		assert_true(count <= 20000);
		snprintf(want, sizeof(want), "flowdb-collector: %s:", path);
		for (k = 0; msgs[k]; k++) {
			if (!k || msgs[k - 1] == '\n') {
				unsigned long at;

				assert_memory_equal(msgs + k, want, strlen(want));
				at = strtoul(msgs + k + strlen(want), NULL, 10);
				assert_true(at > lines && at <= 20000);
				lines = at;
				seen++;
			}
		}
		assert_int_equal(seen, count);
		free(msgs);
		free(file);
		policy_free(&p);
	}
}

/* Runs policy_check() on text; the warnings in *msgs, their number
 * returned, the file's name in path. */
static int check_text(const char *text, char **msgs, char path[64])
{
	struct policy p;
	size_t size;
	char *perr;
	FILE *w;
	int ret;

	if (parse_text(text, &p, &perr, path))
		fail_msg("%s", perr);
	free(perr);
	w = open_memstream(msgs, &size);
	ret = policy_check(&p, NULL, 0, w);
	fclose(w);
	policy_free(&p);
	return ret;
}

/* The guard rails of then block, each warning exactly. */
static void test_check(void **state)
{
	static const char text[] =
		"alert a src distinct dst_port > 100 in 1m then block 10m\n" /* 1: spoofable */
		"alert b src distinct dst_port > 100 in 1m then block 10m established\n" /* 2 */
		"alert c src syn > 100/s then block 5m\n" /* 3: SYNs spoofable */
		"alert d src failed > 10 in 1m then block 5m\n" /* 4: likewise */
		"alert e src http_requests > 600 in 1m then block 5m\n" /* 5: TCP payload */
		"alert f src cleartext > 0 in 1m then block 5m\n" /* 6: likewise */
		"alert g src dns_queries > 600 in 1m then block 5m\n" /* 7 */
		"alert h src bytes > 1G in 1m then block 5m\n" /* 8 */
		"alert i src packets > 1 in 1m then block 5m\n" /* 9 */
		"alert j src flows > 1 in 1m then block 5m\n" /* 10 */
		"alert k src anomaly bytes 4sigma then block 5m\n" /* 11 */
		"alert l dst bytes > 1G in 1m then block 5m\n" /* 12: the key is no source */
		"alert m src bytes > 1G in 1m\n"; /* 13: no block */
	static const char *const spoof = "a spoofed source can make it block anyone; add "
					 "'established' or use a TCP metric";
	static const char *const syn = "a spoofed source can make it block anyone; add "
				       "'established'";
	char path[64], *msgs, *expected;
	size_t size;
	FILE *e;

	assert_int_equal(check_text(text, &msgs, path), 8);
	e = open_memstream(&expected, &size);
	fprintf(e,
		"flowdb-collector: %1$s:1: warning: alert a src distinct dst_port > 100 in 1m then "
		"block 10m: %2$s\n"
		"flowdb-collector: %1$s:3: warning: alert c src syn > 100/s then block 5m: %3$s\n"
		"flowdb-collector: %1$s:4: warning: alert d src failed > 10 in 1m then block 5m: "
		"%3$s\n"
		"flowdb-collector: %1$s:7: warning: alert g src dns_queries > 600 in 1m then block "
		"5m: %2$s\n"
		"flowdb-collector: %1$s:8: warning: alert h src bytes > 1G in 1m then block 5m: "
		"%2$s\n"
		"flowdb-collector: %1$s:9: warning: alert i src packets > 1 in 1m then block 5m: "
		"%2$s\n"
		"flowdb-collector: %1$s:10: warning: alert j src flows > 1 in 1m then block 5m: "
		"%2$s\n"
		"flowdb-collector: %1$s:11: warning: alert k src anomaly bytes 4sigma then block "
		"5m: %2$s\n",
		path, spoof, syn);
	fclose(e);
	assert_string_equal(msgs, expected);
	free(msgs);
	free(expected);

	/* Monitor mode: one note, at the first alert that blocks, whatever the
	 * rules. */
	assert_int_equal(check_text("mode monitor\nalert a src bytes > 1G in 1m\n"
				    "alert b src syn > 5/s then block 1m established\n"
				    "alert c src syn > 5/s then block 1m established\n"
				    "block src 192.0.2.0/24\n",
				    &msgs, path),
			 1);
	e = open_memstream(&expected, &size);
	fprintf(e,
		"flowdb-collector: %s:3: warning: alert b src syn > 5/s then block 1m established: "
		"mode monitor: the blocks of alerts drop nothing, they only count\n",
		path);
	fclose(e);
	assert_string_equal(msgs, expected);
	free(msgs);
	free(expected);
	assert_int_equal(check_text("mode monitor\nalert a src bytes > 1G in 1m\n", &msgs, path),
			 0);
	assert_string_equal(msgs, "");
	free(msgs);
}

/* More than 100 warnings from alerts alone: 100 lines and one more. */
static void test_check_many(void **state)
{
	char path[64], *msgs, *text, last[128];
	size_t size, i, lines = 0;
	FILE *f = open_memstream(&text, &size);

	for (i = 0; i < 300; i++)
		fprintf(f, "alert a%zu src bytes > %zu in 1m then block 1m\n", i, i);
	fclose(f);
	assert_int_equal(check_text(text, &msgs, path), 300);
	for (i = 0; msgs[i]; i++)
		lines += msgs[i] == '\n';
	assert_int_equal(lines, 101);
	snprintf(last, sizeof(last), "flowdb-collector: %s: 200 more warnings not shown\n", path);
	assert_string_equal(msgs + strlen(msgs) - strlen(last), last);
	free(msgs);
	free(text);
}

/* The summary of --check-policy: every kind counted. */
static void test_check_file(void **state)
{
	char path[] = "/tmp/test_policy_alert.XXXXXX", out[256] = "", err[1024] = "";
	static const char text[] = "allow 10.0.0.0/8\nblock src 192.0.2.0/24\nlimit src/32 5pps\n"
				   "limit src/24 5pps\nalert a dst syn > 5/s\n"
				   "alert b src syn > 5/s\nalert c src flows > 5 in 1m\n"
				   "sink jsonl -\nsink syslog\nmode monitor\n";
	FILE *o, *e;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	o = fmemopen(out, sizeof(out), "w");
	e = fmemopen(err, sizeof(err), "w");
	/* lo: 192.0.2.0/24 is no address of it. */
	assert_int_equal(policy_check_file(path, (const char *const[]){ "lo" }, 1, o, e), 0);
	fclose(o);
	fclose(e);
	unlink(path);
	assert_string_equal(out, "7 rules: 1 allow, 1 block, 2 limit, 3 alert; 2 sinks; mode "
				 "monitor\n");
	assert_string_equal(err, "");
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

/* A duration of whole milliseconds, written in a unit picked at random
 * among those that divide it (seconds with or without their "s"). */
static void random_dur(char *out, uint64_t us)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = { { "ms", 1000 },	 { "s", S },	     { "", S },		 { "m", 60 * S },
		      { "h", 3600 * S }, { "d", 86400 * S }, { "w", 604800 * S } };
	size_t k;

	do
		k = (size_t)rand() % 7;
	while (us % units[k].scale);
	sprintf(out, "%llu%s", (unsigned long long)(us / units[k].scale), units[k].unit);
}

/* A random number of milliseconds from 1 to max_ms, often a round one. */
static uint64_t random_ms(uint64_t max_ms)
{
	static const uint64_t rounds[] = { 1000, 60000, 3600000, 86400000 };
	uint64_t v = 1 + ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % max_ms;
	uint64_t r = rounds[rand() % 4];

	if (rand() % 2 && v >= r)
		v -= v % r;
	return v * 1000;
}

/*
 * A random alert rule written by hand, in its own choice of spellings
 * (units, the N/s of syn, sigmas with trailing zeros, defaults said or
 * not), option order and spacing, into text; the rule it must read as
 * into *want.
 */
static void random_alert(char *text, size_t len, struct policy_alert *want)
{
	static const char charset[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	static const char *const gaps[] = { " ", "\t", "  ", " \t " };
	static const char *const size_units[] = { "",	"B", "K",  "KB", "M",
						  "MB", "G", "GB", "T",	 "TB" };
	static const unsigned int size_shift[] = { 0, 0, 10, 10, 20, 20, 30, 30, 40, 40 };
	static const char *const sev[] = { "", "low", "medium", "high", "critical" };
	static const char *const metrics[] = {
		"",	   "distinct", "syn",	 "http_requests", "dns_queries", "bytes",
		"packets", "flows",    "failed", "cleartext",	  "anomaly"
	};
	static const char *const fields[] = { "", "dst_port", "dst_addr", "src_addr", "src_port" };
	char opts[6][64], d[32];
	size_t used = 0, n_opts = 0, i, k, nl;
	uint64_t v, suppress_default;

	memset(want, 0, sizeof(*want));
	nl = 1 + (size_t)rand() % 63;
	want->name[0] = charset[rand() % 52];
	for (i = 1; i < nl; i++)
		want->name[i] = charset[rand() % (sizeof(charset) - 1)];
	want->side = rand() % 2 ? POLICY_SIDE_SRC : POLICY_SIDE_DST;
	want->metric = (enum policy_metric)(1 + rand() % 10);
	add(text, len, &used, "alert%s%s%s%s%s%s", gaps[rand() % 4], want->name, gaps[rand() % 4],
	    want->side == POLICY_SIDE_SRC ? "src" : "dst", gaps[rand() % 4], metrics[want->metric]);
	if (want->metric == POLICY_METRIC_DISTINCT) {
		do
			want->field = (enum policy_field)(1 + rand() % 4);
		while ((want->side == POLICY_SIDE_SRC && want->field == POLICY_FIELD_SRC_ADDR) ||
		       (want->side == POLICY_SIDE_DST && want->field == POLICY_FIELD_DST_ADDR));
		add(text, len, &used, " %s", fields[want->field]);
	}
	if (want->metric == POLICY_METRIC_ANOMALY) {
		uint64_t milli = 1 + (uint64_t)rand() % 100000;
		char frac[8];

		want->base = rand() % 3 == 0 ? POLICY_METRIC_BYTES :
			     rand() % 2	     ? POLICY_METRIC_PACKETS :
					       POLICY_METRIC_FLOWS;
		want->sigmas = (double)milli / 1000;
		/* Written with 0 to 3 decimals, trailing zeros or not. */
		sprintf(frac, "%03llu", (unsigned long long)(milli % 1000));
		k = 3;
		while (k && frac[k - 1] == '0' && rand() % 4)
			k--;
		frac[k] = '\0';
		add(text, len, &used, " %s %llu%s%ssigma", metrics[want->base],
		    (unsigned long long)(milli / 1000), k ? "." : "", frac);
		want->bucket_us = 60 * S;
		if (rand() % 2) {
			want->bucket_us = (1 + (uint64_t)rand() % 3600) * S;
			random_dur(d, want->bucket_us);
			snprintf(opts[n_opts++], sizeof(opts[0]), "per %s", d);
		}
		want->warmup_us = 30 * want->bucket_us;
		if (rand() % 2) {
			want->warmup_us =
				want->bucket_us + random_ms(30ULL * 86400000) %
							  (30ULL * 86400 * S - want->bucket_us + 1);
			want->warmup_us -= want->warmup_us % 1000;
			if (want->warmup_us < want->bucket_us)
				want->warmup_us = want->bucket_us;
			random_dur(d, want->warmup_us);
			snprintf(opts[n_opts++], sizeof(opts[0]), "warmup%s%s", gaps[rand() % 4],
				 d);
		}
		want->window_us = want->bucket_us;
	} else {
		if (want->metric == POLICY_METRIC_BYTES) {
			k = (size_t)rand() % 10;
			v = (uint64_t)rand() % 100000;
			if (v > 1024 && size_shift[k] == 40)
				v = 1024;
			if (!v && k)
				v = 1;
			want->threshold = v << size_shift[k];
			add(text, len, &used, "%s>%s%llu%s", gaps[rand() % 4], gaps[rand() % 4],
			    (unsigned long long)v, size_units[k]);
		} else {
			want->threshold = rand() % 10 ? (uint64_t)rand() % 100000 :
							1000000000000000ULL - (uint64_t)rand();
			add(text, len, &used, " > %llu", (unsigned long long)want->threshold);
		}
		if (want->metric == POLICY_METRIC_SYN && rand() % 3 == 0) {
			want->window_us = S;
			add(text, len, &used, "/s");
		} else {
			want->window_us = random_ms(86400000);
			random_dur(d, want->window_us);
			add(text, len, &used, " in%s%s", gaps[rand() % 4], d);
		}
	}
	want->severity = POLICY_SEVERITY_MEDIUM;
	if (rand() % 2) {
		want->severity = (enum policy_severity)(1 + rand() % 4);
		snprintf(opts[n_opts++], sizeof(opts[0]), "severity %s", sev[want->severity]);
	}
	suppress_default = want->window_us > 60 * S ? want->window_us : 60 * S;
	want->suppress_us = suppress_default;
	if (rand() % 2) {
		want->suppress_us = random_ms(86400000);
		random_dur(d, want->suppress_us);
		snprintf(opts[n_opts++], sizeof(opts[0]), "suppress %s", d);
	}
	if (rand() % 2) {
		want->block_us = random_ms(5200ULL * 7 * 86400000);
		want->established = rand() % 2;
		random_dur(d, want->block_us);
		snprintf(opts[n_opts++], sizeof(opts[0]), "then%sblock %s%s", gaps[rand() % 4], d,
			 want->established ? " established" : "");
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
	add(text, len, &used, "\n");
}

/* Whether two alert rules are the same, line aside. */
static bool same_alert(const struct policy_alert *a, const struct policy_alert *b)
{
	return !strcmp(a->name, b->name) && a->side == b->side && a->metric == b->metric &&
	       a->field == b->field && a->base == b->base && a->sigmas == b->sigmas &&
	       a->bucket_us == b->bucket_us && a->warmup_us == b->warmup_us &&
	       a->threshold == b->threshold && a->window_us == b->window_us &&
	       a->severity == b->severity && a->suppress_us == b->suppress_us &&
	       a->block_us == b->block_us && a->established == b->established;
}

/*
 * Random alert rules written by an independent writer read as the rules it
 * meant; their canonical text reads as the same rule again and is a fixed
 * point. A file of 500 at a time, names drawn again until unique.
 */
static void test_round_trip(void **state)
{
	struct policy_alert want[500];
	char line[512], canon[POLICY_TEXT_MAX], again[POLICY_TEXT_MAX], *file, *cfile;
	struct policy p, q;
	size_t size, csize, i;
	int round, checked = 0;

	srand(1718);
	for (round = 0; round < 100; round++) {
		FILE *f = open_memstream(&file, &size), *c;

		for (i = 0; i < 500; i++) {
			size_t k;

			do {
				line[0] = '\0';
				random_alert(line, sizeof(line), &want[i]);
				for (k = 0; k < i && strcmp(want[k].name, want[i].name); k++)
					;
			} while (k < i);
			fputs(line, f);
		}
		fclose(f);
		parse_ok(file, &p);
		assert_int_equal(p.n_alerts, 500);
		c = open_memstream(&cfile, &csize);
		for (i = 0; i < 500; i++) {
			if (!same_alert(&p.alerts[i], &want[i]))
				fail_msg("line %zu read as '%s', meant '%s'", i + 1,
					 policy_alert_text(&p.alerts[i], canon, sizeof(canon)),
					 policy_alert_text(&want[i], again, sizeof(again)));
			assert_int_equal(p.alerts[i].line, i + 1);
			fprintf(c, "%s\n", policy_alert_text(&p.alerts[i], canon, sizeof(canon)));
		}
		fclose(c);
		parse_ok(cfile, &q);
		for (i = 0; i < 500; i++) {
			policy_alert_text(&p.alerts[i], canon, sizeof(canon));
			if (!same_alert(&q.alerts[i], &p.alerts[i]))
				fail_msg("canonical '%s' reads as another rule", canon);
			assert_string_equal(policy_alert_text(&q.alerts[i], again, sizeof(again)),
					    canon);
			checked++;
		}
		policy_free(&q);
		policy_free(&p);
		free(cfile);
		free(file);
	}
	assert_int_equal(checked, 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),	   cmocka_unit_test(test_fields),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_hostile),	   cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_many), cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
