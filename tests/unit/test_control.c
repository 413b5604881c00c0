// SPDX-License-Identifier: BSD-2-Clause
/* The control socket's server with fake callbacks over a real socket: the
 * socket file, each command, hostile clients, stuck clients, expiry, and
 * the alerts table. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include "control.h"
#include "store.h"

struct fake {
	int calls[CTL_ALERTS + 1];
	struct ctl_request last;
	int fail; /* returned by block_del and alerts */
};

struct env {
	char dir[64];
	char path[128];
	struct control *ctl;
	struct fake fake;
};

static int fake_add(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct fake *f = ctx;

	f->calls[CTL_BLOCK_ADD]++;
	f->last = *req;
	return 0;
}

static int fake_del(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct fake *f = ctx;

	f->calls[CTL_BLOCK_DEL]++;
	f->last = *req;
	if (f->fail == -ENOENT)
		ctlproto_reply_error(reply, "no block of %s", req->net_text);
	return f->fail;
}

static int fake_list(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	static const char *const cols[] = { "net", "reason" };
	static const char *const row[] = { "10.0.0.0/8", "line\nbreak" };
	struct fake *f = ctx;

	f->calls[CTL_BLOCK_LIST]++;
	return ctlproto_reply_columns(reply, 2, cols) || ctlproto_reply_row(reply, row) ? -ENOMEM :
											  0;
}

static int fake_status(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	((struct fake *)ctx)->calls[CTL_STATUS]++;
	return -EIO;
}

/* One alert per request however many are asked for; f->fail instead
 * when set (-ENOSYS: no alert rules in force). */
static int fake_alerts(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	static const struct store_alert a = { .time_us = 1000001,
					      .rule = "scan",
					      .severity = "high",
					      .key = "192.0.2.1",
					      .metric = "syn",
					      .value = 250,
					      .threshold = 200,
					      .action = "none" };
	struct fake *f = ctx;

	f->calls[CTL_ALERTS]++;
	f->last = *req;
	return f->fail ? f->fail : control_reply_alerts(reply, &a, 1);
}

/* limit_list and reload are left out: "not available". */
static const struct control_ops ops = { .block_add = fake_add,
					.block_del = fake_del,
					.block_list = fake_list,
					.status = fake_status,
					.alerts = fake_alerts };

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct control_opts o = { 0 };
	char why[256];
	int err;

	assert_non_null(e);
	strcpy(e->dir, "/tmp/test_control.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	/* A directory of the socket that does not exist yet is made. */
	snprintf(e->path, sizeof(e->path), "%s/run/control.sock", e->dir);
	o.path = e->path;
	o.group = "flowdb-test-no-such-group";
	err = control_open(&e->ctl, &o, &ops, &e->fake, why, sizeof(why));
	if (err)
		fail_msg("control_open: %s", why);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char sub[160];

	control_close(e->ctl);
	snprintf(sub, sizeof(sub), "%s/run", e->dir);
	rmdir(sub);
	rmdir(e->dir);
	free(e);
	return 0;
}

/* A connected client socket, non-blocking. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Serves until fd has its whole reply (the server closed it), reading it
 * into out; fails after 5 s. Returns the reply's length. */
static size_t read_reply(struct control *ctl, int fd, char *out, size_t size)
{
	size_t have = 0;
	int i;

	for (i = 0; i < 500; i++) {
		struct pollfd p = { .fd = control_fd(ctl), .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 10);
		assert_true(control_serve(ctl) >= 0);
		while ((n = recv(fd, out + have, size - have - 1, 0)) > 0)
			have += (size_t)n;
		if (n == 0) {
			out[have] = '\0';
			close(fd);
			return have;
		}
	}
	fail_msg("no whole reply within 5 s");
	return 0;
}

/* Sends the len bytes of req on a new connection and returns the reply
 * in out. */
static size_t exchange(struct env *e, const char *req, size_t len, char *out, size_t size)
{
	int fd = connect_to(e->path);

	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	return read_reply(e->ctl, fd, out, size);
}

/* exchange() for a C string, expecting exactly reply. */
static void expect(struct env *e, const char *req, const char *reply)
{
	char out[4096];

	exchange(e, req, strlen(req), out, sizeof(out));
	if (strcmp(out, reply))
		fail_msg("'%s' gave '%s', not '%s'", req, out, reply);
}

static void test_socket_file(void **state)
{
	struct env *e = *state;
	struct control_opts o = { .path = e->path };
	struct control *other;
	struct stat st;
	char why[256], dir[160];
	int fd;

	assert_int_equal(lstat(e->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	snprintf(dir, sizeof(dir), "%s/run", e->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* A second server on the same path is refused while this one answers. */
	assert_int_equal(control_open(&other, &o, &ops, NULL, why, sizeof(why)), -EADDRINUSE);
	snprintf(dir, sizeof(dir), "another collector answers on %s", e->path);
	assert_string_equal(why, dir);
	assert_null(other);
	/* Something other than a socket is never removed. */
	snprintf(dir, sizeof(dir), "%s/plain", e->dir);
	fd = open(dir, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	o.path = dir;
	assert_int_equal(control_open(&other, &o, &ops, NULL, why, sizeof(why)), -EEXIST);
	assert_int_equal(access(dir, F_OK), 0);
	unlink(dir);
	/* Too long for a socket address. */
	memset(dir, 'x', 120);
	dir[120] = '\0';
	assert_int_equal(control_open(&other, &o, &ops, NULL, why, sizeof(why)), -ENAMETOOLONG);
	/* A stale socket (its server killed) is replaced; the file goes with
	 * the server that made it. */
	control_close(e->ctl);
	e->ctl = NULL;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, e->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd); /* bound, never listening: as a killed server leaves it */
	o.path = e->path;
	assert_int_equal(control_open(&e->ctl, &o, &ops, &e->fake, why, sizeof(why)), 0);
	expect(e, "block-list\n", "ok\nnet\treason\n10.0.0.0/8\tline%0Abreak\n");
}

static void test_commands(void **state)
{
	struct env *e = *state;

	expect(e, "block-add net=10.1.2.3/8 side=dst for=5000000 reason=a%20b\n", "ok\n");
	assert_int_equal(e->fake.calls[CTL_BLOCK_ADD], 1);
	assert_string_equal(e->fake.last.net_text, "10.1.2.3/8");
	assert_int_equal(e->fake.last.net.bits, 8);
	assert_int_equal(e->fake.last.side, CTL_SIDE_DST);
	assert_int_equal(e->fake.last.for_us, 5000000);
	assert_string_equal(e->fake.last.reason, "a b");
	/* The peer's uid comes from its credentials, for the audit. */
	assert_int_equal(e->fake.last.peer_uid, geteuid());
	expect(e, "block-list\n", "ok\nnet\treason\n10.0.0.0/8\tline%0Abreak\n");
	e->fake.fail = -ENOENT;
	expect(e, "block-del net=::1 side=src\n", "error no block of ::1\n");
	e->fake.fail = -EPERM;
	expect(e, "block-del net=::1 side=src\n",
	       "error block-del failed: Operation not permitted\n");
	assert_int_equal(e->fake.calls[CTL_BLOCK_DEL], 2);
	expect(e, "status\n", "error status failed: Input/output error\n");
	expect(e, "limit-list\n", "error limit-list is not available in this collector\n");
	expect(e, "reload\n", "error reload is not available in this collector\n");
	/* The callbacks never see a request that is not valid. */
	expect(e, "block-add net=10.0.0.0/99 side=src\n", "error not a network: '10.0.0.0/99'\n");
	expect(e, "shutdown\n", "error unknown command 'shutdown'\n");
	assert_int_equal(e->fake.calls[CTL_BLOCK_ADD], 1);

	/* alerts: the count asked for reaches the callback, 20 by default. */
	e->fake.fail = 0;
	expect(e, "alerts\n",
	       "ok\ntime\trule\tseverity\tkey\tmetric\tvalue\tthreshold\taction\tsuppressed\n"
	       "1970-01-01T00:00:01.000001Z\tscan\thigh\t192.0.2.1\tsyn\t250\t200\tnone\t0\n");
	assert_int_equal(e->fake.last.n, 20);
	expect(e, "alerts n=3\n",
	       "ok\ntime\trule\tseverity\tkey\tmetric\tvalue\tthreshold\taction\tsuppressed\n"
	       "1970-01-01T00:00:01.000001Z\tscan\thigh\t192.0.2.1\tsyn\t250\t200\tnone\t0\n");
	assert_int_equal(e->fake.last.n, 3);
	/* A policy without alert rules; the callback's own failure. */
	e->fake.fail = -ENOSYS;
	expect(e, "alerts\n", "error no alert rules in force\n");
	e->fake.fail = -ENOMEM;
	expect(e, "alerts\n", "error alerts failed: Cannot allocate memory\n");
	assert_int_equal(e->fake.calls[CTL_ALERTS], 4);
	expect(e, "alerts n=1001\n", "error n is a number of alerts from 1 to 1000\n");
	assert_int_equal(e->fake.calls[CTL_ALERTS], 4);
}

/* A collector without any alerts callback (no policy) says why in one
 * line, as it does for the policy's other commands. */
static void test_alerts_unavailable(void **state)
{
	static const struct control_ops status_only = { .status = fake_status };
	struct env *e = *state;
	struct control_opts o = { .path = e->path, .group = "flowdb-test-no-such-group" };
	char why[256];

	control_close(e->ctl);
	assert_int_equal(control_open(&e->ctl, &o, &status_only, &e->fake, why, sizeof(why)), 0);
	expect(e, "alerts\n", "error no alert rules in force\n");
	expect(e, "alerts n=5\n", "error no alert rules in force\n");
	expect(e, "block-list\n", "error block-list is not available in this collector\n");
}

/* Rows with hostile texts and every kind of double: each field travels
 * encoded on one line and decodes back to what was written; numbers are
 * the shortest text strtod() reads back as the same double. */
static void test_reply_alerts(void **state)
{
	static const double values[] = { 0.0,
					 -0.0,
					 0.1,
					 1.0 / 3,
					 1234.5,
					 1e17,
					 99999999999999999.0,
					 1e18,
					 4503599627370497.0,
					 DBL_MAX,
					 DBL_MIN,
					 5e-324,
					 -2.5,
					 NAN,
					 INFINITY,
					 -INFINITY };
	static const char *const texts[] = { "0",
					     "-0",
					     "0.1",
					     "0.3333333333333333",
					     "1234.5",
					     "100000000000000000",
					     "100000000000000000",
					     "1e+18",
					     "4503599627370497",
					     "1.7976931348623157e+308",
					     "2.2250738585072014e-308",
					     "5e-324",
					     "-2.5",
					     "nan",
					     "inf",
					     "-inf" };
	size_t n = sizeof(values) / sizeof(values[0]), i;
	struct store_alert *a = calloc(n, sizeof(*a));
	struct ctl_reply r;
	struct ctl_table t;
	const char *bytes;
	char why[256];
	size_t len;

	assert_non_null(a);
	for (i = 0; i < n; i++) {
		a[i].time_us = i == 1 ? UINT64_MAX / 2 : 1764763200000000 + i;
		a[i].rule = i == 0 ? "tab\there\nnew%line" : "r";
		a[i].severity = "low";
		snprintf(a[i].key, sizeof(a[i].key), "%s", i == 0 ? "" : "2001:db8::1");
		snprintf(a[i].metric, sizeof(a[i].metric), "%s", "esc\x1b[2J caf\xc3\xa9");
		a[i].value = values[i];
		a[i].threshold = values[n - 1 - i];
		snprintf(a[i].action, sizeof(a[i].action), "%s", i == 0 ? "" : "block 10m");
		a[i].suppressed = i == 0 ? UINT64_MAX : i;
	}
	ctlproto_reply_init(&r);
	assert_int_equal(control_reply_alerts(&r, a, n), 0);
	bytes = ctlproto_reply_bytes(&r, &len);
	/* The first row exactly, as it goes on the wire. */
	assert_memory_equal(
		bytes,
		"ok\ntime\trule\tseverity\tkey\tmetric\tvalue\tthreshold\taction\tsuppressed\n"
		"2025-12-03T12:00:00.000000Z\ttab%09here%0Anew%25line\tlow\t\t"
		"esc%1B[2J%20caf%C3%A9\t0\t-inf\t\t18446744073709551615\n",
		strlen("ok\ntime\trule\tseverity\tkey\tmetric\tvalue\tthreshold\taction\tsuppressed\n"
		       "2025-12-03T12:00:00.000000Z\ttab%09here%0Anew%25line\tlow\t\t"
		       "esc%1B[2J%20caf%C3%A9\t0\t-inf\t\t18446744073709551615\n"));
	assert_int_equal(ctlproto_decode_reply(bytes, len, &t, why, sizeof(why)), 0);
	assert_int_equal(t.n_cols, 9);
	assert_int_equal(t.n_rows, n);
	for (i = 0; i < n; i++) {
		char *const *row = t.cells + i * 9;

		assert_string_equal(row[1], i == 0 ? "tab\there\nnew%line" : "r");
		if (i == 0)
			assert_null(row[3]); /* an empty key travels as none */
		else
			assert_string_equal(row[3], "2001:db8::1");
		assert_string_equal(row[4], "esc\x1b[2J caf\xc3\xa9");
		if (strcmp(row[5], texts[i]))
			fail_msg("value %zu: '%s', not '%s'", i, row[5], texts[i]);
		assert_string_equal(row[6], texts[n - 1 - i]);
		/* Read back, each finite number is the very double. */
		if (isfinite(values[i]))
			assert_true(strtod(row[5], NULL) == values[i]);
	}
	assert_string_equal(t.cells[1 * 9], "294247-01-10T04:00:54.775807Z");
	assert_string_equal(t.cells[2 * 9 + 8], "2");
	ctlproto_table_free(&t);
	ctlproto_reply_free(&r);

	/* No alert yet: the columns alone. */
	ctlproto_reply_init(&r);
	assert_int_equal(control_reply_alerts(&r, a, 0), 0);
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_string_equal(
		bytes,
		"ok\ntime\trule\tseverity\tkey\tmetric\tvalue\tthreshold\taction\tsuppressed\n");
	ctlproto_reply_free(&r);
	free(a);
}

static void test_hostile_clients(void **state)
{
	struct env *e = *state;
	char big[3 * CTLPROTO_LINE_MAX], out[4096];
	int fd, i, quiet[CONTROL_CLIENTS_MAX];

	/* A NUL inside the line. */
	exchange(e, "status\0\n", 8, out, sizeof(out));
	assert_string_equal(out, "error request holds byte 0x00 at 6: not printable ASCII\n");
	/* A line without end, longer than any request: answered, not read on. */
	memset(big, 'a', sizeof(big));
	fd = connect_to(e->path);
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	read_reply(e->ctl, fd, out, sizeof(out));
	assert_string_equal(out, "error request longer than 1023 bytes\n");
	/* A request in pieces, a byte at a time. */
	fd = connect_to(e->path);
	for (i = 0; i < 7; i++) {
		assert_int_equal(send(fd, "status\n" + i, 1, 0), 1);
		assert_true(control_serve(e->ctl) >= 0);
	}
	read_reply(e->ctl, fd, out, sizeof(out));
	assert_string_equal(out, "error status failed: Input/output error\n");
	/* Every slot held by silent clients: the next one is told, and the
	 * silent ones are dropped after the timeout, freeing the slots. */
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		quiet[i] = connect_to(e->path);
		assert_true(control_serve(e->ctl) >= 0);
	}
	fd = connect_to(e->path);
	read_reply(e->ctl, fd, out, sizeof(out));
	assert_string_equal(out, "error busy: too many connections; try again\n");
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		read_reply(e->ctl, quiet[i], out, sizeof(out)); /* closed without a word */
	assert_string_equal(out, "");
	/* A client gone before its reply leaves nothing behind. */
	fd = connect_to(e->path);
	assert_int_equal(send(fd, "block-list\n", 11, 0), 11);
	close(fd);
	assert_true(control_serve(e->ctl) >= 0);
	expect(e, "block-list\n", "ok\nnet\treason\n10.0.0.0/8\tline%0Abreak\n");
}

static void test_rules_and_expiry(void **state)
{
	struct policy_rule rules[4] = {
		{ .kind = POLICY_BLOCK,
		  .origin = POLICY_ORIGIN_CTL,
		  .side = POLICY_SIDE_SRC,
		  .expires_us = 1000,
		  .reason = "gone" },
		{ .kind = POLICY_BLOCK,
		  .origin = POLICY_ORIGIN_FILE,
		  .side = POLICY_SIDE_DST,
		  .line = 7,
		  .proto = 17,
		  .port = 53 },
		{ .kind = POLICY_LIMIT,
		  .origin = POLICY_ORIGIN_FILE,
		  .limit_bits4 = 24,
		  .limit_bits6 = 64,
		  .unit = POLICY_BPS,
		  .rate = 1500000,
		  .burst = 187500 },
		{ .kind = POLICY_BLOCK,
		  .origin = POLICY_ORIGIN_ALERT,
		  .side = POLICY_SIDE_SRC,
		  .expires_us = 2001 },
	};
	struct policy p = { .rules = rules, .n_rules = 4, .cap_rules = 4 };
	struct policy_rule *gone;
	struct ctl_reply r;
	const char *bytes;
	size_t len;

	addr_parse_net("192.0.2.0/24", &rules[0].net);
	addr_parse_net("2001:db8::53", &rules[1].net);
	addr_parse_net("203.0.113.9", &rules[3].net);

	ctlproto_reply_init(&r);
	assert_int_equal(control_reply_rules(&r, &p, POLICY_BLOCK), 0);
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_string_equal(
		bytes,
		"ok\nrule\tside\tnet\tproto\tport\trate\tburst\texpires\torigin\tline\treason\n"
		"block%20src%20192.0.2.0/24%20reason%20\"gone\"\tsrc\t192.0.2.0/24\t\t\t\t\t"
		"1970-01-01T00:00:00Z\tctl\t\tgone\n"
		"block%20dst%202001:db8::53%20proto%20udp%20port%2053\tdst\t2001:db8::53\tudp\t53"
		"\t\t\t\tfile\t7\t\n"
		"block%20src%20203.0.113.9\tsrc\t203.0.113.9\t\t\t\t\t1970-01-01T00:00:00Z\talert"
		"\t\t\n");
	ctlproto_reply_free(&r);

	/* Nothing due: nothing changes. */
	assert_int_equal(control_expire(&p, 999, &gone), 0);
	assert_null(gone);
	assert_int_equal(p.n_rules, 4);
	/* Due at its very time; the others keep their order. */
	assert_int_equal(control_expire(&p, 1000, &gone), 1);
	assert_string_equal(gone[0].reason, "gone");
	free(gone);
	assert_int_equal(p.n_rules, 3);
	assert_int_equal(p.rules[0].line, 7);
	assert_int_equal(p.rules[1].kind, POLICY_LIMIT);
	assert_int_equal(control_expire(&p, INT64_MAX, &gone), 1);
	assert_int_equal(gone[0].origin, POLICY_ORIGIN_ALERT);
	free(gone);
	assert_int_equal(p.n_rules, 2);
	assert_int_equal(p.rules[1].kind, POLICY_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_unavailable, setup, teardown),
		cmocka_unit_test(test_rules_and_expiry),
		cmocka_unit_test(test_reply_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
