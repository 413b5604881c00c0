// SPDX-License-Identifier: BSD-2-Clause
/* The control socket's server with fake callbacks over a real socket: the
 * socket file, each command, hostile clients, stuck clients, expiry. */
#include <errno.h>
#include <fcntl.h>
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

struct fake {
	int calls[CTL_STATUS + 1];
	struct ctl_request last;
	int fail; /* returned by block_del */
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

/* limit_list and reload are left out: "not available". */
static const struct control_ops ops = { .block_add = fake_add,
					.block_del = fake_del,
					.block_list = fake_list,
					.status = fake_status };

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
		cmocka_unit_test(test_rules_and_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
