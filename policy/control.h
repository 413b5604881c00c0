/* SPDX-License-Identifier: BSD-2-Clause */
/* The control socket's server: flowdb-ctl's requests served from the
 * collector's loop, never blocking it. */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include "ctlproto.h"
#include "policy.h"

#define CONTROL_DEFAULT_PATH "/run/flowdb/control.sock"
#define CONTROL_DEFAULT_GROUP "flowdb"
/* Connections served at once; more wait in the listen queue. */
#define CONTROL_CLIENTS_MAX 8
/* A connection that has not sent its request within this long, or has
 * taken nothing of its reply for this long, is closed: a stuck client
 * never holds a slot. */
#define CONTROL_TIMEOUT_MS 2000

struct store_alert;

/*
 * What the collector does for each command. Every callback returns 0
 * (the reply "ok", with any table it added to reply), or a negative errno,
 * after ctlproto_reply_error() for a message of its own (else the server
 * replies with strerror). A NULL callback answers "not available". The
 * server has checked the request: block_add and block_del get a parsed
 * network (req->net), a side, and block_add a duration (0: for ever) and
 * reason; alerts the number of rows asked for (req->n, 1 to
 * CTLPROTO_ALERTS_MAX), to add with control_reply_alerts(); every callback
 * gets the peer's uid (req->peer_uid), for the actions row of a change.
 * A NULL alerts, or -ENOSYS from it (a policy without alert rules, or one
 * whose reload removed them), replies "no alert rules in force".
 */
struct control_ops {
	int (*block_add)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*block_del)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*block_list)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*limit_list)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*reload)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*status)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
	int (*alerts)(void *ctx, const struct ctl_request *req, struct ctl_reply *reply);
};

struct control_opts {
	const char *path; /* CONTROL_DEFAULT_PATH when NULL */
	/* Members may connect besides root and this process's user; when no
	 * such group exists, only those two. CONTROL_DEFAULT_GROUP when NULL. */
	const char *group;
};

struct control;

/*
 * Listens on opts->path: creates its directory (0750, owned by the group)
 * when that one directory is missing, replaces a stale socket no server
 * answers on, and makes the socket mode 0660, group opts->group when it
 * exists. Returns 0 and sets *out, or a negative errno with one line
 * saying why written into why (-EADDRINUSE: another collector answers
 * there; -EEXIST: something other than a socket is there).
 */
int control_open(struct control **out, const struct control_opts *opts,
		 const struct control_ops *ops, void *ctx, char *why, size_t why_size);

/* A descriptor that polls readable when control_serve() has work: add it
 * to the loop's wait. -1 for a NULL control (poll ignores it). */
int control_fd(const struct control *ctl);

/*
 * Does, without blocking, whatever is ready: accepts connections (refusing
 * with "permission denied: ..." a peer neither root, nor this process's
 * user, nor in the group), reads requests, calls the ops, writes replies,
 * and closes connections that are done or timed out. Returns the number
 * of requests served, or a negative errno when the socket itself failed.
 */
int control_serve(struct control *ctl);

/* Closes every connection, removes the socket file (when it is still this
 * server's) and frees ctl. NULL is fine. */
void control_close(struct control *ctl);

/*
 * Adds to reply the table of p's rules of kind (POLICY_BLOCK or
 * POLICY_LIMIT), one row each: rule (as the policy file writes it), side,
 * net, proto, port, rate, burst, expires (ISO 8601 UTC), origin, line,
 * reason. Returns 0 or -ENOMEM.
 */
int control_reply_rules(struct ctl_reply *reply, const struct policy *p, enum policy_kind kind);

/*
 * Adds to reply the table of the n alerts in a (in their order: newest
 * first, as alert_recent() gives them), one row each: time (ISO 8601 UTC
 * to the microsecond), rule, severity, key, metric, value, threshold (the
 * shortest decimal that reads back as the same double; a whole number
 * without a point), action, suppressed. Returns 0 or -ENOMEM.
 */
int control_reply_alerts(struct ctl_reply *reply, const struct store_alert *a, size_t n);

/*
 * Removes from p every rule whose expires_us is set and not after now_us,
 * in order, and hands them to the caller in *expired (malloc'd, freed by
 * the caller; NULL when none) to log and write as actions rows of origin
 * expiry. Returns how many, or -ENOMEM (p unchanged).
 */
int control_expire(struct policy *p, int64_t now_us, struct policy_rule **expired);

#endif /* CONTROL_H */
