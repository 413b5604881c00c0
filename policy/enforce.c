// SPDX-License-Identifier: BSD-2-Clause
/* The rule set in force: the policy file's rules and the blocks flowdb-ctl
 * adds, put in the kernel, audited, counted per flush, expired on time. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enforce.h"
#include "policy.h"

/* What the parser's lines start with, in the collector's log. */
#define LOG_PREFIX "flowdb-collector: "

struct enforce {
	struct tracker *t;
	struct store *s;
	char *path;
	struct policy cur; /* every rule in force, each with its kernel id */
	/* Per kernel id, the packets and bytes already in rule_counters rows:
	 * the kernel's counters run from the rule's load. */
	uint64_t (*counted)[2];
	size_t n_counted;
	/* While the kernel's counters are walked: the rules by id. */
	const struct policy_rule **by_id;
	size_t n_by_id;
	uint64_t walk_us;
	int walk_err;
	uint64_t next_expiry_us; /* the earliest timed block's end; 0: none */
	enforce_reload_fn on_reload; /* the alert rules' part of a reload */
	void *on_reload_arg;
};

static const char *const kind_names[] = { [POLICY_ALLOW] = "allow",
					  [POLICY_BLOCK] = "block",
					  [POLICY_LIMIT] = "limit" };
static const char *const origin_names[] = { [POLICY_ORIGIN_FILE] = "file",
					    [POLICY_ORIGIN_CTL] = "ctl",
					    [POLICY_ORIGIN_ALERT] = "alert" };

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Makes room in e->counted for id, the new room at 0. Returns 0 or
 * -ENOMEM. */
static int counted_room(struct enforce *e, uint32_t id)
{
	size_t n = e->n_counted ? e->n_counted : 64;
	uint64_t(*grown)[2];

	if (id < e->n_counted)
		return 0;
	while (n <= id)
		n *= 2;
	grown = realloc(e->counted, n * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memset(grown + e->n_counted, 0, (n - e->n_counted) * sizeof(*grown));
	e->counted = grown;
	e->n_counted = n;
	return 0;
}

/* Buffers r's rule_counters row for what its kernel counters (packets,
 * bytes since its load) hold beyond the rows before, at time_us. Returns
 * 0 or a negative errno from the store. */
static int count_rule(struct enforce *e, const struct policy_rule *r, uint64_t packets,
		      uint64_t bytes, uint64_t time_us)
{
	char text[POLICY_TEXT_MAX];
	struct store_rule_counter row = { .kind = kind_names[r->kind],
					  .origin = origin_names[r->origin],
					  .line = r->line };
	int err = counted_room(e, r->id);

	if (err)
		return err;
	row.packets = packets - e->counted[r->id][0];
	row.bytes = bytes - e->counted[r->id][1];
	e->counted[r->id][0] = packets;
	e->counted[r->id][1] = bytes;
	if (!row.packets)
		return 0;
	row.rule = policy_rule_text(r, text, sizeof(text));
	return store_add_rule_counters(e->s, time_us, enforce_mode(e), &row, 1);
}

/* Forgets what was counted for id, which a new rule may take next. */
static void counted_clear(struct enforce *e, uint32_t id)
{
	if (id < e->n_counted)
		e->counted[id][0] = e->counted[id][1] = 0;
}

/* Indexes e->cur's rules by id in e->by_id. Returns 0 or -ENOMEM. */
static int index_rules(struct enforce *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->cur.n_rules; i++)
		if (e->cur.rules[i].id >= n)
			n = e->cur.rules[i].id + 1;
	free(e->by_id);
	e->by_id = calloc(n ? n : 1, sizeof(*e->by_id));
	if (!e->by_id)
		return -ENOMEM;
	e->n_by_id = n;
	e->next_expiry_us = 0;
	for (i = 0; i < e->cur.n_rules; i++) {
		uint64_t expires = (uint64_t)e->cur.rules[i].expires_us;

		e->by_id[e->cur.rules[i].id] = &e->cur.rules[i];
		if (expires && (!e->next_expiry_us || expires < e->next_expiry_us))
			e->next_expiry_us = expires;
	}
	return 0;
}

/* tracker_rule_fn: one rule's counters to a row, the rule found by id. */
static int on_counters(__u32 id, __u64 packets, __u64 bytes, void *arg)
{
	struct enforce *e = arg;

	if (id >= e->n_by_id || !e->by_id[id])
		return 0;
	e->walk_err = count_rule(e, e->by_id[id], packets, bytes, e->walk_us);
	return e->walk_err;
}

/* Writes an actions row; uid -1 for none. Returns the store's result. */
static int audit(struct enforce *e, uint64_t time_us, const char *action, const char *target,
		 const struct policy_rule *r, const char *origin, int64_t uid, const char *detail)
{
	char text[POLICY_TEXT_MAX];
	struct store_action a = { .time_us = time_us,
				  .action = action,
				  .target = target,
				  .rule = r ? policy_rule_text(r, text, sizeof(text)) : NULL,
				  .reason = r ? r->reason : NULL,
				  .expires_us = r && r->expires_us > 0 ? (uint64_t)r->expires_us : 0,
				  .origin = origin,
				  .uid = uid,
				  .detail = detail };

	return store_add_action(e->s, &a);
}

/* Ends the timed blocks of p's file rules duration after now_us. */
static void start_clocks(struct policy *p, uint64_t now_us)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].duration_us && !p->rules[i].expires_us)
			p->rules[i].expires_us = (int64_t)(now_us + p->rules[i].duration_us);
}

/* "N rules: A allow, B block, L limit, K alert; S sinks; mode M" of p into buf. */
static const char *summary(const struct policy *p, char *buf, size_t size)
{
	size_t i, n[4] = { 0 };

	for (i = 0; i < p->n_rules; i++)
		n[p->rules[i].kind]++;
	snprintf(buf, size, "%zu rules: %zu allow, %zu block, %zu limit, %zu alert; %zu sinks; mode %s",
		 p->n_rules + p->n_alerts, n[POLICY_ALLOW], n[POLICY_BLOCK], n[POLICY_LIMIT],
		 p->n_alerts, p->n_sinks, p->mode == POLICY_MONITOR ? "monitor" : "enforce");
	return buf;
}

/* Why the kernel refused a rule set, for people. */
static const char *load_error(int err)
{
	switch (err) {
	case -E2BIG:
		return "more rules than --policy-max-entries allows";
	case -EINVAL:
		return "a rule the kernel cannot hold (a rate or burst of 0, a burst too large, "
		       "more than 16 limits)";
	default:
		return strerror(-err);
	}
}

/* Numbers p's rules as tracker_policy_load() does. */
static void number_rules(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		p->rules[i].id = (uint32_t)i;
}

int enforce_open(struct enforce **out, struct tracker *t, struct store *s, const char *path,
		 uint64_t now_us, FILE *err)
{
	struct enforce *e = calloc(1, sizeof(*e));
	char detail[128];
	int rc;

	if (!e)
		return -ENOMEM;
	e->t = t;
	e->s = s;
	e->path = strdup(path);
	if (!e->path) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = policy_parse_file(path, &e->cur, err);
	if (rc)
		goto fail;
	start_clocks(&e->cur, now_us);
	number_rules(&e->cur);
	rc = tracker_policy_load(t, &e->cur, NULL, NULL);
	if (rc) {
		fprintf(err, "flowdb-collector: %s: cannot put the policy in force: %s\n", path,
			load_error(rc));
		goto fail;
	}
	rc = index_rules(e);
	if (!rc)
		rc = audit(e, now_us, "load", path, NULL, "file", -1,
			   summary(&e->cur, detail, sizeof(detail)));
	if (rc)
		goto fail;
	fprintf(err, "flowdb-collector: policy %s: %s\n", path, detail);
	*out = e;
	return 0;
fail:
	enforce_close(e);
	return rc;
}

const char *enforce_mode(const struct enforce *e)
{
	if (!e)
		return NULL;
	return e->cur.mode == POLICY_MONITOR ? "monitor" : "enforce";
}

/* Removes rule id id from e->cur; e->by_id is stale until index_rules(). */
static void forget_rule(struct enforce *e, uint32_t id)
{
	size_t i;

	for (i = 0; i < e->cur.n_rules; i++)
		if (e->cur.rules[i].id == id) {
			memmove(&e->cur.rules[i], &e->cur.rules[i + 1],
				(e->cur.n_rules - i - 1) * sizeof(e->cur.rules[0]));
			e->cur.n_rules--;
			break;
		}
	counted_clear(e, id);
}

/*
 * Takes block r out of the kernel, writes its last counters and an
 * actions row (action, origin, uid), and removes it from e->cur. Returns 0,
 * -ENOENT when the kernel holds no such block, or another negative errno.
 */
static int remove_block(struct enforce *e, const struct policy_rule *r, uint64_t now_us,
			const char *action, const char *origin, int64_t uid)
{
	char target[INET6_ADDRSTRLEN + 8];
	struct policy_rule gone;
	__u64 packets = 0, bytes = 0;
	__u32 id;
	size_t i;
	int err, rc = tracker_block_del(e->t, r, &id, &packets, &bytes);

	if (rc)
		return rc;
	gone = *r;
	for (i = 0; i < e->cur.n_rules; i++)
		if (e->cur.rules[i].id == id)
			gone = e->cur.rules[i];
	gone.id = id;
	rc = count_rule(e, &gone, packets, bytes, now_us);
	forget_rule(e, id);
	/* The block is out of the kernel: e->cur must say so even when its
	 * rows cannot be written. */
	err = index_rules(e);
	if (!rc)
		rc = audit(e, now_us, action, policy_net_text(&gone.net, target, sizeof(target)),
			   &gone, origin, uid, NULL);
	return rc ? rc : err;
}

uint64_t enforce_next_expiry(const struct enforce *e)
{
	return e ? e->next_expiry_us : 0;
}

int enforce_expire(struct enforce *e, uint64_t now_us, FILE *err)
{
	char text[POLICY_TEXT_MAX];
	size_t i = 0;
	int rc, first = 0;

	if (!e || !e->next_expiry_us || e->next_expiry_us > now_us)
		return 0;
	while (i < e->cur.n_rules) {
		struct policy_rule r = e->cur.rules[i];

		if (!r.expires_us || (uint64_t)r.expires_us > now_us) {
			i++;
			continue;
		}
		rc = remove_block(e, &r, now_us, "expire", "expiry", -1);
		/* A rule that repeats another has no entry of its own. */
		if (rc == -ENOENT) {
			forget_rule(e, r.id);
			rc = index_rules(e);
		} else if (i < e->cur.n_rules && e->cur.rules[i].id == r.id) {
			i++; /* the kernel kept it: the next call tries again */
		} else {
			fprintf(err, "flowdb-collector: expired: %s\n",
				policy_rule_text(&r, text, sizeof(text)));
		}
		if (rc && !first)
			first = rc;
	}
	return first;
}

int enforce_flush(struct enforce *e, uint64_t now_us, FILE *err)
{
	int rc = enforce_expire(e, now_us, err);

	if (!e || rc)
		return rc;
	e->walk_us = now_us;
	e->walk_err = 0;
	rc = tracker_policy_counters(e->t, on_counters, e);
	return rc ? rc : e->walk_err;
}

/* The block rule a block add or del request names. Returns 0, or
 * -EINVAL after an error reply. */
static int request_rule(const struct ctl_request *req, struct policy_rule *r,
			struct ctl_reply *reply)
{
	char why[POLICY_ERR_MAX];
	int rc = policy_block_rule(req->net_text,
				   req->side == CTL_SIDE_DST ? POLICY_SIDE_DST : POLICY_SIDE_SRC,
				   req->for_us, req->reason, r, why, sizeof(why));

	if (rc)
		ctlproto_reply_error(reply, "%s", why);
	return rc;
}

/*
 * Puts block r (its clock not started) in the kernel and in e->cur from
 * now_us, audited as an add row from origin (uid, detail). Returns 0,
 * -EEXIST when the kernel holds that block already, -E2BIG when the rule set
 * is full, or another negative errno.
 */
static int add_block(struct enforce *e, struct policy_rule *r, uint64_t now_us,
		     const char *origin, int64_t uid, const char *detail)
{
	char target[INET6_ADDRSTRLEN + 8];
	__u32 id;
	int rc;

	if (r->duration_us)
		r->expires_us = (int64_t)(now_us + r->duration_us);
	rc = tracker_block_add(e->t, r, &id);
	if (rc)
		return rc;
	r->id = id;
	counted_clear(e, id);
	rc = policy_add(&e->cur, r);
	if (!rc)
		rc = index_rules(e);
	if (!rc)
		/* As the delete and expiry rows write it (a host without /32),
		 * so that the rows of one block name the same target. */
		rc = audit(e, now_us, "add", policy_net_text(&r->net, target, sizeof(target)), r,
			   origin, uid, detail);
	return rc;
}

static int on_block_add(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct enforce *e = ctx;
	struct policy_rule r;
	int rc = request_rule(req, &r, reply);

	if (rc)
		return rc;
	rc = add_block(e, &r, wall_us(), "ctl", req->peer_uid, NULL);
	if (rc == -EEXIST)
		ctlproto_reply_error(reply, "%s is blocked already", req->net_text);
	else if (rc == -E2BIG)
		ctlproto_reply_error(reply, "the rule set is full (--policy-max-entries)");
	return rc;
}

int enforce_block(struct enforce *e, const struct addr_net *net, enum policy_side side,
		  uint64_t duration_us, const char *reason, const char *detail, uint64_t now_us)
{
	struct policy_rule r = { .kind = POLICY_BLOCK,
				 .origin = POLICY_ORIGIN_ALERT,
				 .side = side,
				 .net = *net,
				 .duration_us = duration_us };
	size_t i;

	/* Allow wins in the kernel packet by packet; an allow of every
	 * protocol and port that holds net makes the block pointless. */
	for (i = 0; i < e->cur.n_rules; i++) {
		const struct policy_rule *a = &e->cur.rules[i];

		if (a->kind == POLICY_ALLOW && !a->proto && !a->port &&
		    (a->side == POLICY_SIDE_ANY || a->side == side) &&
		    addr_net_contains(&a->net, net))
			return -EPERM;
	}
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	return add_block(e, &r, now_us, "alert", -1, detail);
}

void enforce_on_reload(struct enforce *e, enforce_reload_fn fn, void *arg)
{
	e->on_reload = fn;
	e->on_reload_arg = arg;
}

const struct policy *enforce_policy(const struct enforce *e)
{
	return &e->cur;
}

static int on_block_del(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct enforce *e = ctx;
	struct policy_rule r;
	int rc = request_rule(req, &r, reply);

	if (rc)
		return rc;
	rc = remove_block(e, &r, wall_us(), "delete", "ctl", req->peer_uid);
	if (rc == -ENOENT)
		ctlproto_reply_error(reply, "%s is not blocked", req->net_text);
	return rc;
}

static int on_block_list(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct enforce *e = ctx;

	(void)req;
	return control_reply_rules(reply, &e->cur, POLICY_BLOCK);
}

static int on_limit_list(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct enforce *e = ctx;

	(void)req;
	return control_reply_rules(reply, &e->cur, POLICY_LIMIT);
}

/* tracker_rule_fn for a reload: the replaced set's last counters, its rules
 * still indexed in e->by_id. */
static int on_old_counters(__u32 id, __u64 packets, __u64 bytes, void *arg)
{
	struct enforce *e = arg;

	if (id < e->n_by_id && e->by_id[id])
		e->walk_err = count_rule(e, e->by_id[id], packets, bytes, e->walk_us);
	return 0;
}

/*
 * flowdb-ctl reload: the file read again, with the blocks added live and
 * not expired, put in force in one swap. A file with errors changes
 * nothing; its first error is the reply, all of them go to the log.
 */
static int on_reload(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct enforce *e = ctx;
	uint64_t now = wall_us();
	struct policy next = { 0 };
	char *errors = NULL, detail[POLICY_ERR_MAX + 16];
	size_t n_errors = 0, i;
	FILE *log = open_memstream(&errors, &n_errors);
	int rc;

	if (!log)
		return -ENOMEM;
	rc = policy_parse_file(e->path, &next, log);
	fclose(log);
	if (errors && errors[0]) {
		fputs(errors, stderr);
		errors[strcspn(errors, "\n")] = '\0';
		/* The reply goes out under flowdb-ctl's name. */
		if (!strncmp(errors, LOG_PREFIX, strlen(LOG_PREFIX)))
			memmove(errors, errors + strlen(LOG_PREFIX),
				strlen(errors) - strlen(LOG_PREFIX) + 1);
	}
	for (i = 0; !rc && i < e->cur.n_rules; i++)
		if (e->cur.rules[i].origin != POLICY_ORIGIN_FILE)
			rc = policy_add(&next, &e->cur.rules[i]);
	if (rc) {
		ctlproto_reply_error(reply, "%s", errors && errors[0] ? errors : strerror(-rc));
		snprintf(detail, sizeof(detail), "refused: %s",
			 errors && errors[0] ? errors : strerror(-rc));
		audit(e, now, "reload", e->path, NULL, "ctl", req->peer_uid, detail);
		goto cleanup;
	}
	if (e->on_reload) {
		char why[POLICY_ERR_MAX];

		rc = e->on_reload(e->on_reload_arg, &next, false, why, sizeof(why));
		if (rc) {
			ctlproto_reply_error(reply, "%s: %s", e->path, why);
			snprintf(detail, sizeof(detail), "refused: %s", why);
			audit(e, now, "reload", e->path, NULL, "ctl", req->peer_uid, detail);
			goto cleanup;
		}
	}
	start_clocks(&next, now);
	number_rules(&next);
	e->walk_us = now;
	e->walk_err = 0;
	rc = tracker_policy_load(e->t, &next, on_old_counters, e);
	if (e->on_reload)
		e->on_reload(e->on_reload_arg, NULL, rc == 0, NULL, 0);
	if (rc) {
		ctlproto_reply_error(reply, "%s: %s", e->path, load_error(rc));
		snprintf(detail, sizeof(detail), "refused: %s", load_error(rc));
		audit(e, now, "reload", e->path, NULL, "ctl", req->peer_uid, detail);
		goto cleanup;
	}
	policy_free(&e->cur);
	e->cur = next;
	memset(&next, 0, sizeof(next));
	if (e->counted)
		memset(e->counted, 0, e->n_counted * sizeof(*e->counted));
	rc = index_rules(e);
	if (!rc)
		rc = audit(e, now, "reload", e->path, NULL, "ctl", req->peer_uid,
			   summary(&e->cur, detail, sizeof(detail)));
	if (!rc)
		rc = e->walk_err;
cleanup:
	policy_free(&next);
	free(errors);
	return rc;
}

void enforce_control_ops(struct control_ops *ops)
{
	ops->block_add = on_block_add;
	ops->block_del = on_block_del;
	ops->block_list = on_block_list;
	ops->limit_list = on_limit_list;
	ops->reload = on_reload;
}

void enforce_close(struct enforce *e)
{
	if (!e)
		return;
	policy_free(&e->cur);
	free(e->by_id);
	free(e->counted);
	free(e->path);
	free(e);
}
