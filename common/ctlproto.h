/* SPDX-License-Identifier: BSD-2-Clause */
/* The control socket's messages, shared by flowdb-ctl and the collector. */
#ifndef CTLPROTO_H
#define CTLPROTO_H

/*
 * One request per connection, one reply, then the server closes it.
 *
 * Request: one line of printable ASCII ended by '\n', at most
 * CTLPROTO_LINE_MAX bytes with it: a verb, then "key=value" words, each
 * separated by one space; a value is percent-encoded (every byte outside
 * '!'..'~', and '%', as %HH), so it holds no space:
 *   block-add net=10.0.0.0/8 side=src for=3600000000 reason=noisy%20scanner
 *   block-del net=10.0.0.0/8 side=src
 *   block-list | limit-list | reload | status
 *   alerts n=20
 *
 * Reply: "ok\n", or "error TEXT\n" (TEXT printable ASCII), then for a
 * command that answers a table: its column names, then one line per row,
 * fields separated by '\t' and percent-encoded as above; an empty field is
 * a value the row does not have (NULL). A reply is at most
 * CTLPROTO_REPLY_MAX bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"

#define CTLPROTO_LINE_MAX 1024
/* Room for a list of about half a million blocks. */
#define CTLPROTO_REPLY_MAX (64 << 20)
/* A block's reason, NUL included: policy.h's POLICY_REASON_MAX. */
#define CTLPROTO_REASON_MAX 128
/* A network as typed, NUL included: the longest IPv6 address and "/128". */
#define CTLPROTO_NET_MAX 52
/* Columns of a reply's table at most. */
#define CTLPROTO_COLS_MAX 32
/* alerts: rows asked for when the request names no n, and at most. The
 * bound keeps a reply (and the collector's copy of the rows) small. */
#define CTLPROTO_ALERTS_DEFAULT 20
#define CTLPROTO_ALERTS_MAX 1000

enum ctl_cmd {
	CTL_BLOCK_ADD = 1,
	CTL_BLOCK_DEL,
	CTL_BLOCK_LIST,
	CTL_LIMIT_LIST,
	CTL_RELOAD,
	CTL_STATUS,
	CTL_ALERTS,
};

/* Which address of a packet a block matches: as policy.h's sides. */
enum ctl_side {
	CTL_SIDE_SRC = 1,
	CTL_SIDE_DST = 2,
};

struct ctl_request {
	enum ctl_cmd cmd;
	/* block-add, block-del: */
	char net_text[CTLPROTO_NET_MAX]; /* as typed: it names the rule */
	struct addr_net net; /* parsed from net_text */
	enum ctl_side side;
	/* block-add: */
	uint64_t for_us; /* 0: for ever */
	char reason[CTLPROTO_REASON_MAX]; /* printable ASCII, "" for none */
	/* alerts: the latest this many at most, 1..CTLPROTO_ALERTS_MAX;
	 * decoding sets CTLPROTO_ALERTS_DEFAULT when the line has no n=, and
	 * encoding leaves n= out when it is 0. */
	unsigned int n;
	/* Not on the wire: the server sets it from the peer's credentials,
	 * for the audit (actions.uid). */
	int64_t peer_uid;
};

/* The verb of cmd ("block-add"), or NULL for no command. */
const char *ctlproto_verb(enum ctl_cmd cmd);

/*
 * Writes req as a request line, '\n' included, into buf. Returns its
 * length, -EINVAL for a request that is not valid (no command, a bad
 * network, a reason that is not printable ASCII, an n over
 * CTLPROTO_ALERTS_MAX: what decoding would refuse), or -ENAMETOOLONG when it does not fit size or
 * CTLPROTO_LINE_MAX.
 */
int ctlproto_encode_request(const struct ctl_request *req, char *buf, size_t size);

/*
 * Reads the request line of len bytes in line (without its '\n'; it need
 * not be NUL-terminated and may hold any byte) into *req. Returns 0, or
 * -EINVAL with one line of printable ASCII saying why written into why:
 * a NUL or another byte outside printable ASCII, an unknown verb or key, a
 * key twice or missing, a bad value, a line longer than CTLPROTO_LINE_MAX.
 */
int ctlproto_decode_request(const char *line, size_t len, struct ctl_request *req, char *why,
			    size_t why_size);

/* A reply being built. */
struct ctl_reply {
	char *buf; /* "ok\n" or "error ...\n", then the table's lines */
	size_t len, cap;
	int n_cols; /* 0 until columns are set */
	bool failed; /* an error reply */
	bool nomem; /* out of memory or over CTLPROTO_REPLY_MAX: the bytes say so */
};

/* Starts an "ok" reply. */
void ctlproto_reply_init(struct ctl_reply *r);

/* Frees r's buffer. */
void ctlproto_reply_free(struct ctl_reply *r);

/* Turns r into an error reply with the message fmt..., made printable
 * ASCII and cut to one line; a table already added is dropped. */
void ctlproto_reply_error(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the table's columns (once, n at most CTLPROTO_COLS_MAX, names
 * non-empty). Returns 0, -EINVAL when called again or with bad names, or
 * -ENOMEM. */
int ctlproto_reply_columns(struct ctl_reply *r, int n, const char *const names[]);

/* Adds a row of n_cols values (NULL: the row has none; "" is also read
 * back as none). Returns 0, -EINVAL before columns, or -ENOMEM (also past
 * CTLPROTO_REPLY_MAX). */
int ctlproto_reply_row(struct ctl_reply *r, const char *const values[]);

/* The reply's bytes to send: r's own, or a short error reply when r ran
 * out of memory. Sets *len. */
const char *ctlproto_reply_bytes(const struct ctl_reply *r, size_t *len);

/* A reply as read back by the client. */
struct ctl_table {
	bool ok;
	char *error; /* "error" replies: the message */
	int n_cols;
	char **cols;
	size_t n_rows;
	char **cells; /* n_rows * n_cols, row after row; NULL: no value */
};

/*
 * Reads a whole reply of len bytes into *t (which ctlproto_table_free()
 * frees, whatever this returns). Returns 0, -EINVAL with why written when
 * the bytes are not a reply (no status line, a row of the wrong width, a
 * bad escape, a NUL), or -ENOMEM.
 */
int ctlproto_decode_reply(const char *buf, size_t len, struct ctl_table *t, char *why,
			  size_t why_size);

void ctlproto_table_free(struct ctl_table *t);

#endif /* CTLPROTO_H */
