// SPDX-License-Identifier: BSD-2-Clause
/* A control socket server whose rules and alerts live in memory only:
 * flowdb-ctl's tests talk to it as to a collector, over a real socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "control.h"
#include "store.h"

/* The collector's loop wakes at least this often. */
#define WAIT_MS 100

static volatile sig_atomic_t exiting;

struct fake {
	struct policy p;
	unsigned int reloads;
};

static void on_signal(int sig)
{
	exiting = 1;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Appends rule r. Returns 0 or -ENOMEM. */
static int push_rule(struct policy *p, const struct policy_rule *r)
{
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules ? 2 * p->cap_rules : 16;
		struct policy_rule *grown = realloc(p->rules, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->rules = grown;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

/* The index of the block rule on net and side, or -1. */
static long find_block(const struct policy *p, const struct addr_net *net, enum policy_side side)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].kind == POLICY_BLOCK && p->rules[i].side == side &&
		    p->rules[i].net.family == net->family && p->rules[i].net.bits == net->bits &&
		    !memcmp(p->rules[i].net.addr, net->addr, sizeof(net->addr)))
			return (long)i;
	return -1;
}

/* net with its host bits cleared, as rules hold networks. */
static struct addr_net clear_host_bits(const struct addr_net *net)
{
	struct addr_net n = *net;
	unsigned int i;

	for (i = n.bits; i < 128; i++)
		n.addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	return n;
}

static int fake_block_add(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct fake *f = ctx;
	struct policy_rule r = { .kind = POLICY_BLOCK, .origin = POLICY_ORIGIN_CTL };

	r.side = req->side == CTL_SIDE_DST ? POLICY_SIDE_DST : POLICY_SIDE_SRC;
	r.net = clear_host_bits(&req->net);
	if (find_block(&f->p, &r.net, r.side) >= 0) {
		ctlproto_reply_error(reply, "%s is blocked already", req->net_text);
		return -EEXIST;
	}
	r.duration_us = req->for_us;
	r.expires_us = req->for_us ? now_us() + (int64_t)req->for_us : 0;
	snprintf(r.reason, sizeof(r.reason), "%s", req->reason);
	return push_rule(&f->p, &r);
}

static int fake_block_del(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct fake *f = ctx;
	struct addr_net net = clear_host_bits(&req->net);
	long i = find_block(&f->p, &net,
			    req->side == CTL_SIDE_DST ? POLICY_SIDE_DST : POLICY_SIDE_SRC);

	if (i < 0) {
		ctlproto_reply_error(reply, "no block of %s", req->net_text);
		return -ENOENT;
	}
	memmove(f->p.rules + i, f->p.rules + i + 1,
		(f->p.n_rules - (size_t)i - 1) * sizeof(*f->p.rules));
	f->p.n_rules--;
	return 0;
}

/* Expired blocks leave before a list, as the collector's expiry does. */
static void expire(struct fake *f)
{
	struct policy_rule *gone;
	int n = control_expire(&f->p, now_us(), &gone);

	if (n > 0) {
		printf("expired %d\n", n);
		fflush(stdout);
	}
	free(gone);
}

static int fake_block_list(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	expire(ctx);
	return control_reply_rules(reply, &((struct fake *)ctx)->p, POLICY_BLOCK);
}

static int fake_limit_list(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	return control_reply_rules(reply, &((struct fake *)ctx)->p, POLICY_LIMIT);
}

static int fake_reload(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	((struct fake *)ctx)->reloads++;
	return 0;
}

static int fake_status(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	static const char *const cols[] = { "name", "value" };
	struct fake *f = ctx;
	char rules[24], reloads[24];
	const char *rows[][2] = { { "mode", f->p.mode == POLICY_MONITOR ? "monitor" : "enforce" },
				  { "rules", rules },
				  { "reloads", reloads } };
	size_t i;
	int err;

	snprintf(rules, sizeof(rules), "%zu", f->p.n_rules);
	snprintf(reloads, sizeof(reloads), "%u", f->reloads);
	err = ctlproto_reply_columns(reply, 2, cols);
	for (i = 0; !err && i < sizeof(rows) / sizeof(rows[0]); i++)
		err = ctlproto_reply_row(reply, rows[i]);
	return err;
}

/* The latest alerts, newest first, as an alerter keeps them: a scan that
 * blocked its source, an anomaly (a threshold with a fraction) and a
 * volume alert past 2^32 bytes on an IPv6 destination. */
static int fake_alerts(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	static const struct store_alert alerts[] = {
		{ .time_us = 1764763200250000,
		  .rule = "scan",
		  .severity = "high",
		  .key = "192.0.2.66",
		  .metric = "distinct dst_port",
		  .value = 1000,
		  .threshold = 100,
		  .action = "block 10m",
		  .suppressed = 3 },
		{ .time_us = 1764763140000000,
		  .rule = "odd-volume",
		  .severity = "medium",
		  .key = "198.51.100.20",
		  .metric = "anomaly bytes",
		  .value = 52000,
		  .threshold = 1234.5,
		  .action = "none" },
		{ .time_us = 1764763080000001,
		  .rule = "exfil",
		  .severity = "critical",
		  .key = "2001:db8::7",
		  .metric = "bytes",
		  .value = 5000000000.0,
		  .threshold = 1000000000,
		  .action = "not blocked: allowed" },
	};
	size_t n = sizeof(alerts) / sizeof(alerts[0]);

	return control_reply_alerts(reply, alerts, req->n < n ? req->n : n);
}

/* The rules a policy file would have given: a limit of each unit and a
 * block whose reason holds an escape sequence and UTF-8. */
static int load_file_rules(struct policy *p)
{
	struct policy_rule block = { .kind = POLICY_BLOCK,
				     .origin = POLICY_ORIGIN_FILE,
				     .line = 3,
				     .side = POLICY_SIDE_DST,
				     .proto = 6,
				     .port = 25 };
	struct policy_rule pps = { .kind = POLICY_LIMIT,
				   .origin = POLICY_ORIGIN_FILE,
				   .line = 4,
				   .limit_bits4 = 32,
				   .limit_bits6 = 128,
				   .unit = POLICY_PPS,
				   .rate = 1000,
				   .burst = 2000 };
	struct policy_rule bps = { .kind = POLICY_LIMIT,
				   .origin = POLICY_ORIGIN_FILE,
				   .line = 5,
				   .limit_bits4 = 24,
				   .limit_bits6 = 48,
				   .unit = POLICY_BPS,
				   .rate = 20000000,
				   .burst = 2500000,
				   .proto = 17,
				   .port = 53 };
	struct policy_rule syn = { .kind = POLICY_LIMIT,
				   .origin = POLICY_ORIGIN_FILE,
				   .line = 6,
				   .limit_bits4 = 32,
				   .limit_bits6 = 128,
				   .unit = POLICY_SYN,
				   .rate = 50,
				   .burst = 50 };

	addr_parse_net("198.51.100.7", &block.net);
	snprintf(block.reason, sizeof(block.reason), "spam \x1b[31mrelay\x1b[0m caf\xc3\xa9");
	return push_rule(p, &block) || push_rule(p, &pps) || push_rule(p, &bps) ||
	       push_rule(p, &syn);
}

int main(int argc, char **argv)
{
	static const struct control_ops ops = { .block_add = fake_block_add,
						.block_del = fake_block_del,
						.block_list = fake_block_list,
						.limit_list = fake_limit_list,
						.reload = fake_reload,
						.status = fake_status,
						.alerts = fake_alerts };
	/* A collector whose policy has no alert rule. */
	static const struct control_ops no_alerts = { .block_add = fake_block_add,
						      .block_del = fake_block_del,
						      .block_list = fake_block_list,
						      .limit_list = fake_limit_list,
						      .reload = fake_reload,
						      .status = fake_status };
	struct sigaction sa = { .sa_handler = on_signal };
	struct control_opts o = { 0 };
	struct fake f = { 0 };
	struct control *ctl;
	char why[256];
	int err, rc = 0;

	if (argc < 2 || argc > 4 || (argc == 4 && strcmp(argv[3], "no-alerts"))) {
		fprintf(stderr, "usage: ctlserve SOCKET [GROUP [no-alerts]]\n");
		return 2;
	}
	o.path = argv[1];
	o.group = argc >= 3 ? argv[2] : NULL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (load_file_rules(&f.p))
		return 1;
	err = control_open(&ctl, &o, argc == 4 ? &no_alerts : &ops, &f, why, sizeof(why));
	if (err) {
		fprintf(stderr, "ctlserve: %s\n", why);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!exiting) {
		struct pollfd pfd = { .fd = control_fd(ctl), .events = POLLIN };

		if (poll(&pfd, 1, WAIT_MS) < 0 && errno != EINTR) {
			rc = 1;
			break;
		}
		if (control_serve(ctl) < 0) {
			rc = 1;
			break;
		}
	}
	control_close(ctl);
	free(f.p.rules);
	return rc;
}
