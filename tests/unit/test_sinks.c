// SPDX-License-Identifier: BSD-2-Clause
/* The alert sinks: the JSON of an alert with hostile strings and every
 * buffer size, numbers, sinks that cannot open, and the jsonl, syslog and
 * command sinks for real (a file, a socket bound here, /bin/sh). The
 * webhook, and the JSON against Python's, are tests/integration/sinks.sh. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include "sink.h"

static void alert(struct store_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->time_us = 1796270706123456ULL; /* 2026-12-03T04:05:06.123456Z */
	a->rule = "scan";
	a->severity = "high";
	strcpy(a->key, "192.0.2.1");
	a->side = "src";
	strcpy(a->metric, "distinct dst_port");
	a->value = 150;
	a->threshold = 100;
	a->window_us = 60000000;
	a->first_us = 1796270700000000ULL;
	a->last_us = 1796270706000000ULL;
	strcpy(a->example, "tcp 192.0.2.1:40000 > 198.51.100.7:22");
	strcpy(a->action, "block 10m");
	a->suppressed = 3;
	a->line = 12;
}

#define EXPECTED                                                                                \
	"{\"time\":\"2026-12-03T04:05:06.123456Z\",\"time_us\":1796270706123456,\"rule\":"      \
	"\"scan\",\"severity\":\"high\",\"key\":\"192.0.2.1\",\"side\":\"src\",\"metric\":"     \
	"\"distinct dst_port\",\"value\":150,\"threshold\":100,\"window_us\":60000000,"         \
	"\"first_seen_us\":1796270700000000,\"last_seen_us\":1796270706000000,\"example\":"     \
	"\"tcp 192.0.2.1:40000 > 198.51.100.7:22\",\"action\":\"block 10m\",\"suppressed\":3," \
	"\"line\":12}"

static void test_json_exact(void **state)
{
	struct store_alert a;
	char buf[4096];

	alert(&a);
	assert_int_equal(sink_alert_json(&a, buf, sizeof(buf)), strlen(EXPECTED));
	assert_string_equal(buf, EXPECTED);
}

/* Every length short of the line and its NUL is -ENOSPC and writes
 * nothing past len; the exact length fits. */
static void test_json_enospc(void **state)
{
	struct store_alert a;
	char buf[4096];
	size_t need = strlen(EXPECTED) + 1, len;

	alert(&a);
	for (len = 0; len < need; len++) {
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(sink_alert_json(&a, buf, len), -ENOSPC);
		assert_int_equal(buf[len], 'Z');
	}
	assert_int_equal(sink_alert_json(&a, buf, need), need - 1);
	assert_string_equal(buf, EXPECTED);
}

/* The example field's JSON for example text in. */
static void example_json(const char *in, const char *want)
{
	struct store_alert a;
	char buf[4096], *p, *end;

	alert(&a);
	strcpy(a.example, in);
	assert_true(sink_alert_json(&a, buf, sizeof(buf)) > 0);
	p = strstr(buf, "\"example\":");
	assert_non_null(p);
	p += strlen("\"example\":");
	end = strstr(p, ",\"action\":");
	assert_non_null(end);
	*end = '\0';
	assert_string_equal(p, want);
}

/* Unicode's own examples of ill-formed UTF-8 (one U+FFFD per maximal
 * subpart, as Python decodes), control characters, quotes. */
static void test_json_strings(void **state)
{
	example_json("", "\"\"");
	example_json("\"\\/", "\"\\\"\\\\/\"");
	example_json("\x01\t\n\r\x1f\x7f", "\"\\u0001\\u0009\\u000a\\u000d\\u001f\\u007f\"");
	example_json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
		     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	example_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	example_json("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	example_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	example_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	example_json("\xe2\x82", "\"\\ufffd\"");
	example_json("\xe2\x82" "A", "\"\\ufffdA\"");
	example_json("\xf0\x9f\x98", "\"\\ufffd\"");
	example_json("\xf1\x80\x80\xe1\x80\xc2\x61\x80\xff\xfe",
		     "\"\\ufffd\\ufffd\\ufffda\\ufffd\\ufffd\\ufffd\"");
	example_json("\xc2", "\"\\ufffd\"");
}

static void test_json_nulls_and_numbers(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "-0" },
		{ 150, "150" },
		{ 1e15, "1000000000000000" },
		{ 1e17, "1e+17" },
		{ 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 2.5e-8, "2.5e-08" },
		{ 1e300, "1e+300" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 5e-324, "5e-324" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ -12.75, "-12.75" },
		{ NAN, "null" },
		{ INFINITY, "null" },
	};
	struct store_alert a;
	char buf[4096], want[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		alert(&a);
		a.value = cases[i].v;
		assert_true(sink_alert_json(&a, buf, sizeof(buf)) > 0);
		snprintf(want, sizeof(want), "\"value\":%s,", cases[i].text);
		if (!strstr(buf, want))
			fail_msg("%g: %s has no %s", cases[i].v, buf, want);
		/* What is written reads back as the same double. */
		if (isfinite(cases[i].v))
			assert_true(strtod(strstr(buf, "\"value\":") + 8, NULL) == cases[i].v);
	}
	alert(&a);
	a.rule = NULL;
	a.side = NULL;
	a.time_us = UINT64_MAX;
	assert_true(sink_alert_json(&a, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"time_us\":18446744073709551615,\"rule\":null,"));
	assert_non_null(strstr(buf, "\"side\":null,"));
}

/* sinks_open() with sinks, what it said on err into msgs. */
static int open_sinks(struct sinks **s, const struct policy_sink *cfg, size_t n, char **msgs)
{
	size_t size;
	FILE *err = open_memstream(msgs, &size);
	int ret;

	assert_non_null(err);
	ret = sinks_open(s, cfg, n, err);
	fclose(err);
	return ret;
}

static void test_open_errors(void **state)
{
	struct policy_sink cfg[3] = {
		{ .kind = POLICY_SINK_JSONL, .line = 4, .target = "/nonexistent/dir/alerts.jsonl" },
		{ .kind = POLICY_SINK_SYSLOG, .line = 5, .target = "/nonexistent/log" },
		{ .kind = POLICY_SINK_WEBHOOK, .line = 6, .target = "ftp://user:secret@host/x" },
	};
	struct store_alert a;
	struct sinks *s = NULL;
	char *msgs;

	assert_int_equal(open_sinks(&s, cfg, 3, &msgs), -ENOENT);
	assert_null(s);
	assert_string_equal(
		msgs, "flowdb-collector: line 4: sink jsonl /nonexistent/dir/alerts.jsonl: "
		      "No such file or directory\n"
		      "flowdb-collector: line 5: sink syslog /nonexistent/log: No such file or "
		      "directory\n"
		      "flowdb-collector: line 6: sink webhook: not an http or https URL\n");
	free(msgs);
	/* No sink: a set that takes alerts and counts nothing. */
	assert_int_equal(open_sinks(&s, NULL, 0, &msgs), 0);
	assert_string_equal(msgs, "");
	free(msgs);
	alert(&a);
	sinks_send(s, &a);
	assert_int_equal(sinks_failures(s), 0);
	sinks_close(s);
	sinks_close(NULL);
}

/* The jsonl sink appends one line per alert, flushed, mode 0640. */
static void test_jsonl(void **state)
{
	struct policy_sink cfg = { .kind = POLICY_SINK_JSONL, .line = 1 };
	char path[] = "/tmp/test_sinks.XXXXXX", want[8192], got[8192], *msgs;
	struct store_alert a;
	struct sinks *s;
	struct stat st;
	mode_t old;
	int fd, i;
	ssize_t n;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	strcpy(cfg.target, path);
	old = umask(0);
	assert_int_equal(open_sinks(&s, &cfg, 1, &msgs), 0);
	umask(old);
	free(msgs);
	want[0] = '\0';
	for (i = 0; i < 3; i++) {
		alert(&a);
		a.suppressed = (uint64_t)i;
		snprintf(a.example, sizeof(a.example), "line\n%d", i);
		sinks_send(s, &a);
		assert_true(sink_alert_json(&a, want + strlen(want), 2048) > 0);
		strcat(want, "\n");
		/* There before the next alert: nothing waits in a buffer. */
		fd = open(path, O_RDONLY);
		n = read(fd, got, sizeof(got) - 1);
		close(fd);
		assert_true(n >= 0);
		got[n] = '\0';
		assert_string_equal(got, want);
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(sinks_failures(s), 0);
	sinks_close(s);
	unlink(path);
}

/* Binds a datagram socket at path. */
static int bind_log(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 2 };

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Receives one datagram and matches it against the pattern. */
static void expect_log(int fd, const char *pattern)
{
	char msg[4096];
	regex_t re;
	ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);

	assert_true(n > 0);
	msg[n] = '\0';
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, msg, 0, NULL, 0))
		fail_msg("syslog message %s does not match %s", msg, pattern);
	regfree(&re);
}

static void test_syslog(void **state)
{
	struct policy_sink cfg = { .kind = POLICY_SINK_SYSLOG, .line = 2, .facility = LOG_LOCAL3 };
	char path[64], pattern[512], *msgs;
	struct store_alert a;
	struct sinks *s;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_sinks.log.%d", (int)getpid());
	strcpy(cfg.target, path);
	fd = bind_log(path);
	assert_int_equal(open_sinks(&s, &cfg, 1, &msgs), 0);
	free(msgs);
	alert(&a);
	a.severity = "critical";
	strcpy(a.example, "a\"b\\c\n\xff");
	sinks_send(s, &a);
	snprintf(pattern, sizeof(pattern),
		 "^<%d>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] "
		 "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] flowdb-collector\\[%d\\]: alert scan severity "
		 "critical key 192\\.0\\.2\\.1 \\(src\\) metric distinct dst_port value 150 > "
		 "100 in 1m00s at 2026-12-03T04:05:06\\.123456Z example "
		 "\"a\\\\\"b\\\\\\\\c\\\\x0a\\\\xff\" suppressed 3 action block 10m$",
		 LOG_LOCAL3 | LOG_CRIT, (int)getpid());
	expect_log(fd, pattern);
	/* Each severity's priority. */
	a.severity = "high";
	sinks_send(s, &a);
	snprintf(pattern, sizeof(pattern), "^<%d>", LOG_LOCAL3 | LOG_ERR);
	expect_log(fd, pattern);
	a.severity = "medium";
	sinks_send(s, &a);
	snprintf(pattern, sizeof(pattern), "^<%d>", LOG_LOCAL3 | LOG_WARNING);
	expect_log(fd, pattern);
	a.severity = "low";
	sinks_send(s, &a);
	snprintf(pattern, sizeof(pattern), "^<%d>", LOG_LOCAL3 | LOG_NOTICE);
	expect_log(fd, pattern);
	assert_int_equal(sinks_failures(s), 0);
	/* The daemon restarts: the very next alert reaches the new socket. */
	close(fd);
	fd = bind_log(path);
	sinks_send(s, &a);
	expect_log(fd, "severity low");
	assert_int_equal(sinks_failures(s), 0);
	/* Gone: counted, once per alert; back: reached again. */
	close(fd);
	unlink(path);
	sinks_send(s, &a);
	sinks_send(s, &a);
	assert_int_equal(sinks_failures(s), 2);
	fd = bind_log(path);
	sinks_send(s, &a);
	expect_log(fd, "severity low");
	assert_int_equal(sinks_failures(s), 2);
	sinks_close(s);
	close(fd);
	unlink(path);
}

/* Waits up to 5 s for the sinks to count want failures. */
static void wait_failures(struct sinks *s, uint64_t want)
{
	struct timespec step = { .tv_nsec = 10000000 };
	int i;

	for (i = 0; i < 500 && sinks_failures(s) < want; i++)
		nanosleep(&step, NULL);
	assert_int_equal(sinks_failures(s), want);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A command that fails or hangs is counted, the hanging one killed at its
 * timeout; one that succeeds is not; each gets exactly its JSON line on
 * standard input. */
static void test_command(void **state)
{
	struct policy_sink cfg = { .kind = POLICY_SINK_COMMAND, .line = 3, .timeout_us = 200000 };
	char path[64], cmd[256], want[8192], got[8192], *msgs;
	struct store_alert a;
	struct sinks *s;
	uint64_t start;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/tmp/test_sinks.cmd.%d", (int)getpid());
	unlink(path);
	snprintf(cmd, sizeof(cmd), "case $(tee -a %s) in *'\"suppressed\":1,'*) exit 3;; "
				   "*'\"suppressed\":2,'*) sleep 10;; esac",
		 path);
	strcpy(cfg.target, cmd);
	assert_int_equal(open_sinks(&s, &cfg, 1, &msgs), 0);
	free(msgs);
	want[0] = '\0';
	for (i = 0; i < 3; i++) {
		alert(&a);
		a.suppressed = (uint64_t)i;
		assert_true(sink_alert_json(&a, want + strlen(want), 2048) > 0);
		strcat(want, "\n");
		start = mono_us();
		sinks_send(s, &a);
		/* Queued, not run: the hanging one takes no time here. */
		assert_true(mono_us() - start < 50000);
		wait_failures(s, i == 0 ? 0 : (uint64_t)i);
		if (i == 2)
			assert_in_range(mono_us() - start, 200000, 1500000);
	}
	sinks_close(s);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_json_enospc),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_nulls_and_numbers),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
