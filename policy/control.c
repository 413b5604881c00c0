// SPDX-License-Identifier: BSD-2-Clause
/* The control socket's server: flowdb-ctl's requests served from the
 * collector's loop, never blocking it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "control.h"
#include "fmt.h"
#include "store.h"

/* The listening socket's epoll tag; a client's is its slot + 1. */
#define LISTEN_TAG 0
/* Supplementary groups of a peer read at most; a member of more is
 * refused unless the group is its primary one. */
#define PEER_GROUPS_MAX 1024

struct client {
	int fd; /* -1: the slot is free */
	int64_t uid; /* the peer's */
	uint64_t deadline_ms;
	char in[CTLPROTO_LINE_MAX];
	size_t in_len;
	bool replying; /* the request is answered: writing the reply */
	struct ctl_reply reply;
	size_t out_off;
};

struct control {
	int epfd, lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* the socket file this server made, to remove only it */
	ino_t ino;
	bool has_group;
	gid_t gid;
	char group[64];
	const struct control_ops *ops;
	void *ctx;
	struct client clients[CONTROL_CLIENTS_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Creates dir, the socket's directory, when it is missing: 0750, owned by
 * the group when there is one, so that only root and members reach the
 * socket even before its own mode is set. Returns 0 or a negative errno
 * with why written. */
static int make_dir(const struct control *ctl, const char *dir, char *why, size_t why_size)
{
	struct stat st;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(why, why_size, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (errno != ENOENT || mkdir(dir, 0750)) {
		snprintf(why, why_size, "cannot create the directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (ctl->has_group && chown(dir, (uid_t)-1, ctl->gid)) {
		snprintf(why, why_size, "cannot give %s to group %s: %s", dir, ctl->group,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* Clears the way for a socket at ctl->path: nothing there, or a socket
 * no server answers on (one a killed collector left), which is removed.
 * Returns 0 or a negative errno with why written. */
static int clear_stale(const struct control *ctl, const struct sockaddr_un *sa, char *why,
		       size_t why_size)
{
	struct stat st;
	int fd, err = 0;

	if (lstat(ctl->path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, why_size, "%s exists and is not a socket", ctl->path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, why_size, "cannot create a socket: %s", strerror(errno));
		return -errno;
	}
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		snprintf(why, why_size, "another collector answers on %s", ctl->path);
		err = -EADDRINUSE;
	} else if (errno != ECONNREFUSED || unlink(ctl->path)) {
		snprintf(why, why_size, "cannot replace %s: %s", ctl->path, strerror(errno));
		err = -errno;
	}
	close(fd);
	return err;
}

/* Creates, binds and listens on the socket, mode 0660 and the group's.
 * Returns 0 or a negative errno with why written. */
static int listen_on(struct control *ctl, char *why, size_t why_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(ctl->path)];
	char *slash;
	struct stat st;
	mode_t old;
	int err;

	strcpy(sa.sun_path, ctl->path);
	strcpy(dir, ctl->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		err = make_dir(ctl, dir, why, why_size);
		if (err)
			return err;
	}
	err = clear_stale(ctl, &sa, why, why_size);
	if (err)
		return err;
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0) {
		snprintf(why, why_size, "cannot create a socket: %s", strerror(errno));
		return -errno;
	}
	/* bind() creates the file with the umask's mode: never wider than
	 * 0660, not even for the moment before chmod(). The collector runs
	 * no other thread yet that creates files. */
	old = umask(0117);
	err = bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (err) {
		snprintf(why, why_size, "cannot bind %s: %s", ctl->path, strerror(-err));
		return err;
	}
	if (lstat(ctl->path, &st) || chmod(ctl->path, 0660) ||
	    (ctl->has_group && chown(ctl->path, (uid_t)-1, ctl->gid))) {
		err = -errno;
		snprintf(why, why_size, "cannot make %s mode 0660%s%s: %s", ctl->path,
			 ctl->has_group ? ", group " : "", ctl->has_group ? ctl->group : "",
			 strerror(-err));
		unlink(ctl->path);
		return err;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	if (listen(ctl->lfd, 16)) {
		err = -errno;
		snprintf(why, why_size, "cannot listen on %s: %s", ctl->path, strerror(-err));
		unlink(ctl->path);
		return err;
	}
	return 0;
}

int control_open(struct control **out, const struct control_opts *opts,
		 const struct control_ops *ops, void *ctx, char *why, size_t why_size)
{
	const char *path = opts->path ? opts->path : CONTROL_DEFAULT_PATH;
	const char *group = opts->group ? opts->group : CONTROL_DEFAULT_GROUP;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTEN_TAG };
	struct control *ctl;
	struct group *gr;
	int i, err;

	*out = NULL;
	if (!path[0] || strlen(path) >= sizeof(ctl->path)) {
		snprintf(why, why_size, "socket path '%.40s' is empty or longer than %zu bytes",
			 path, sizeof(ctl->path) - 1);
		return -ENAMETOOLONG;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	ctl->epfd = ctl->lfd = -1;
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		ctl->clients[i].fd = -1;
	strcpy(ctl->path, path);
	snprintf(ctl->group, sizeof(ctl->group), "%s", group);
	gr = getgrnam(group);
	if (gr) {
		ctl->has_group = true;
		ctl->gid = gr->gr_gid;
	}
	ctl->ops = ops;
	ctl->ctx = ctx;
	err = listen_on(ctl, why, why_size);
	if (err)
		goto cleanup;
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->epfd < 0 || epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->lfd, &ev)) {
		err = -errno;
		snprintf(why, why_size, "cannot poll the control socket: %s", strerror(-err));
		goto cleanup;
	}
	*out = ctl;
	return 0;
cleanup:
	control_close(ctl);
	return err;
}

int control_fd(const struct control *ctl)
{
	return ctl ? ctl->epfd : -1;
}

/* Frees slot cl and closes its connection. */
static void drop(struct client *cl)
{
	if (cl->fd < 0)
		return;
	close(cl->fd); /* also takes it out of the epoll set */
	cl->fd = -1;
	ctlproto_reply_free(&cl->reply);
}

/* Whether the peer of fd may control the collector: root, this process's
 * user, or a member of the group (primary or supplementary, as it was
 * when it connected). Returns 0, or -EACCES with the one line it gets
 * written into why. */
static int authorize(const struct control *ctl, struct client *cl, char *why, size_t why_size)
{
	int fd = cl->fd;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[PEER_GROUPS_MAX];
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		snprintf(why, why_size, "permission denied: the peer's credentials are unknown");
		return -EACCES;
	}
	cl->uid = cr.uid;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 0;
	if (ctl->has_group) {
		if (cr.gid == ctl->gid)
			return 0;
		len = sizeof(groups);
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
			for (i = 0; i < len / sizeof(groups[0]); i++)
				if (groups[i] == ctl->gid)
					return 0;
	}
	snprintf(why, why_size, "permission denied: uid %u is neither root nor in group %s",
		 (unsigned int)cr.uid, ctl->group);
	return -EACCES;
}

/* Runs the request of the n bytes in line (without '\n') into cl's reply. */
static void answer(struct control *ctl, struct client *cl, const char *line, size_t n)
{
	const struct control_ops *ops = ctl->ops;
	struct ctl_reply *r = &cl->reply;
	struct ctl_request req;
	char why[256];
	int err = -ENOSYS;

	if (ctlproto_decode_request(line, n, &req, why, sizeof(why))) {
		ctlproto_reply_error(r, "%s", why);
		return;
	}
	req.peer_uid = cl->uid;
	switch (req.cmd) {
	case CTL_BLOCK_ADD:
		if (ops->block_add)
			err = ops->block_add(ctl->ctx, &req, r);
		break;
	case CTL_BLOCK_DEL:
		if (ops->block_del)
			err = ops->block_del(ctl->ctx, &req, r);
		break;
	case CTL_BLOCK_LIST:
		if (ops->block_list)
			err = ops->block_list(ctl->ctx, &req, r);
		break;
	case CTL_LIMIT_LIST:
		if (ops->limit_list)
			err = ops->limit_list(ctl->ctx, &req, r);
		break;
	case CTL_RELOAD:
		if (ops->reload)
			err = ops->reload(ctl->ctx, &req, r);
		break;
	case CTL_STATUS:
		if (ops->status)
			err = ops->status(ctl->ctx, &req, r);
		break;
	case CTL_ALERTS:
		if (ops->alerts)
			err = ops->alerts(ctl->ctx, &req, r);
		break;
	}
	/* Alerts are missing for a reason the user can act on: say it. */
	if (err == -ENOSYS && !r->failed && req.cmd == CTL_ALERTS)
		ctlproto_reply_error(r, "no alert rules in force");
	else if (err == -ENOSYS && !r->failed)
		ctlproto_reply_error(r, "%s is not available in this collector",
				     ctlproto_verb(req.cmd));
	else if (err && !r->failed)
		ctlproto_reply_error(r, "%s failed: %s", ctlproto_verb(req.cmd), strerror(-err));
}

/* Writes what it can of cl's reply; drops cl once all of it is out or the
 * peer is gone, else waits for room. */
static void send_reply(struct control *ctl, struct client *cl, int slot)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = (uint64_t)slot + 1 };
	size_t len;
	const char *bytes = ctlproto_reply_bytes(&cl->reply, &len);

	if (!cl->replying) {
		cl->replying = true;
		/* Any more the client sends is not read: stop polling for it. */
		epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
	}
	while (cl->out_off < len) {
		ssize_t n = send(cl->fd, bytes + cl->out_off, len - cl->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		cl->out_off += (size_t)n;
		/* A long list takes as long as the client reads it: only a
		 * client that stops reading times out. */
		cl->deadline_ms = now_ms() + CONTROL_TIMEOUT_MS;
	}
	drop(cl);
}

/* Reads what cl sent; answers once a whole line is in. Returns 1 when a
 * request was answered, else 0. */
static int receive(struct control *ctl, struct client *cl, int slot)
{
	char *nl;

	for (;;) {
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			/* Gone (or closed its end) before a whole request. */
			drop(cl);
			return 0;
		}
		cl->in_len += (size_t)n;
		nl = memchr(cl->in, '\n', cl->in_len);
		if (nl) {
			answer(ctl, cl, cl->in, (size_t)(nl - cl->in));
			send_reply(ctl, cl, slot);
			return 1;
		}
		if (cl->in_len == sizeof(cl->in)) {
			ctlproto_reply_error(&cl->reply, "request longer than %d bytes",
					     CTLPROTO_LINE_MAX - 1);
			send_reply(ctl, cl, slot);
			return 0;
		}
	}
}

/* Accepts every waiting connection into a free slot; the one without a
 * slot, or without permission, gets its one line at once. */
static int accept_all(struct control *ctl)
{
	char why[160];

	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *cl = NULL;
		int fd, i;

		fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
			    errno == EINTR)
				return 0;
			return -errno;
		}
		for (i = 0; i < CONTROL_CLIENTS_MAX && !cl; i++)
			if (ctl->clients[i].fd < 0)
				cl = &ctl->clients[i];
		if (!cl) {
			/* Best effort: the socket buffer takes one short line. */
			static const char busy[] = "error busy: too many connections; try again\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				errno = 0;
			close(fd);
			continue;
		}
		i = (int)(cl - ctl->clients);
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->deadline_ms = now_ms() + CONTROL_TIMEOUT_MS;
		ctlproto_reply_init(&cl->reply);
		ev.data.u64 = (uint64_t)i + 1;
		if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			drop(cl);
			continue;
		}
		if (authorize(ctl, cl, why, sizeof(why))) {
			ctlproto_reply_error(&cl->reply, "%s", why);
			send_reply(ctl, cl, i);
		}
	}
}

int control_serve(struct control *ctl)
{
	struct epoll_event evs[CONTROL_CLIENTS_MAX + 1];
	uint64_t now = now_ms();
	int i, n, served = 0, err;

	if (!ctl)
		return 0;
	n = epoll_wait(ctl->epfd, evs, CONTROL_CLIENTS_MAX + 1, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		struct client *cl;

		if (tag == LISTEN_TAG) {
			err = accept_all(ctl);
			if (err)
				return err;
			continue;
		}
		cl = &ctl->clients[tag - 1];
		if (cl->fd < 0)
			continue;
		if (cl->replying)
			send_reply(ctl, cl, (int)(tag - 1));
		else
			served += receive(ctl, cl, (int)(tag - 1));
	}
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (ctl->clients[i].fd >= 0 && now >= ctl->clients[i].deadline_ms)
			drop(&ctl->clients[i]);
	return served;
}

void control_close(struct control *ctl)
{
	struct stat st;
	int i;

	if (!ctl)
		return;
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		drop(&ctl->clients[i]);
	/* Only the socket this server made: a collector started since may
	 * have replaced it with its own. */
	if (ctl->ino && !lstat(ctl->path, &st) && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		unlink(ctl->path);
	if (ctl->lfd >= 0)
		close(ctl->lfd);
	if (ctl->epfd >= 0)
		close(ctl->epfd);
	free(ctl);
}

/* The name of IP protocol proto in rules: tcp, udp, icmp, icmpv6, or its
 * number. */
static const char *proto_text(uint8_t proto, char *buf, size_t size)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		snprintf(buf, size, "%u", proto);
		return buf;
	}
}

/* Writes a limit's rate with the largest decimal unit that keeps it exact:
 * "1000pps", "20Mbps", "50/s syn". */
static char *rate_text(const struct policy_rule *r, char *buf, size_t size)
{
	static const char *const units[] = { "bps", "Kbps", "Mbps", "Gbps" };
	uint64_t v = r->rate;
	int u = 0;

	if (r->unit == POLICY_PPS) {
		snprintf(buf, size, "%" PRIu64 "pps", v);
	} else if (r->unit == POLICY_SYN) {
		snprintf(buf, size, "%" PRIu64 "/s syn", v);
	} else {
		while (u < 3 && v && v % 1000 == 0) {
			v /= 1000;
			u++;
		}
		snprintf(buf, size, "%" PRIu64 "%s", v, units[u]);
	}
	return buf;
}

int control_reply_rules(struct ctl_reply *reply, const struct policy *p, enum policy_kind kind)
{
	static const char *const cols[] = { "rule",  "side",	"net",	  "proto", "port",  "rate",
					    "burst", "expires", "origin", "line",  "reason" };
	static const char *const origins[] = {
		[POLICY_ORIGIN_FILE] = "file", [POLICY_ORIGIN_CTL] = "ctl", [POLICY_ORIGIN_ALERT] = "alert"
	};
	char rule[512], net[INET6_ADDRSTRLEN + 8], num[16], port[8], rate[40], burst[24],
		expires[FMT_BUF_SIZE], line[16];
	size_t i;
	int err;

	err = ctlproto_reply_columns(reply, sizeof(cols) / sizeof(cols[0]), cols);
	for (i = 0; !err && i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const char *row[sizeof(cols) / sizeof(cols[0])] = { 0 };

		if (r->kind != kind)
			continue;
		row[0] = policy_rule_text(r, rule, sizeof(rule));
		/* A limit's key is always the source: its network is none. */
		if (kind != POLICY_LIMIT) {
			row[1] = r->side == POLICY_SIDE_SRC ? "src" :
				 r->side == POLICY_SIDE_DST ? "dst" :
							      "any";
			row[2] = policy_net_text(&r->net, net, sizeof(net));
		}
		if (r->proto)
			row[3] = proto_text(r->proto, num, sizeof(num));
		if (r->port) {
			snprintf(port, sizeof(port), "%u", r->port);
			row[4] = port;
		}
		if (kind == POLICY_LIMIT) {
			row[5] = rate_text(r, rate, sizeof(rate));
			snprintf(burst, sizeof(burst), "%" PRIu64, r->burst);
			row[6] = burst;
		}
		if (r->expires_us)
			row[7] = fmt_time(expires, sizeof(expires), r->expires_us, 0);
		if (r->origin >= POLICY_ORIGIN_FILE && r->origin <= POLICY_ORIGIN_ALERT)
			row[8] = origins[r->origin];
		if (r->line) {
			snprintf(line, sizeof(line), "%u", r->line);
			row[9] = line;
		}
		row[10] = r->reason;
		err = ctlproto_reply_row(reply, row);
	}
	return err == -EINVAL ? -ENOMEM : err;
}

/* Writes v as the shortest decimal that reads back as v: a whole number
 * (every count and byte total) without a point or an exponent, so that
 * flowdb-ctl shows and exports it as a number. */
static char *number_text(double v, char *buf, size_t size)
{
	int digits;

	/* NaN and the infinities fail the range (and print as nan, inf). */
	if (v > -1e18 && v < 1e18 && v == (double)(long long)v) {
		snprintf(buf, size, "%.0f", v);
		return buf;
	}
	for (digits = 1; digits < 17; digits++) {
		snprintf(buf, size, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, size, "%.17g", v);
	return buf;
}

int control_reply_alerts(struct ctl_reply *reply, const struct store_alert *a, size_t n)
{
	static const char *const cols[] = { "time",  "rule",	  "severity", "key",	   "metric",
					    "value", "threshold", "action",   "suppressed" };
	char time[FMT_BUF_SIZE], value[32], threshold[32], suppressed[24];
	size_t i;
	int err;

	err = ctlproto_reply_columns(reply, sizeof(cols) / sizeof(cols[0]), cols);
	for (i = 0; !err && i < n; i++) {
		const char *row[] = { fmt_time(time, sizeof(time), (int64_t)a[i].time_us, 6),
				      a[i].rule,
				      a[i].severity,
				      a[i].key,
				      a[i].metric,
				      number_text(a[i].value, value, sizeof(value)),
				      number_text(a[i].threshold, threshold, sizeof(threshold)),
				      a[i].action,
				      suppressed };

		snprintf(suppressed, sizeof(suppressed), "%" PRIu64, a[i].suppressed);
		err = ctlproto_reply_row(reply, row);
	}
	return err == -EINVAL ? -ENOMEM : err;
}

int control_expire(struct policy *p, int64_t now_us, struct policy_rule **expired)
{
	size_t i, kept = 0, n = 0;

	*expired = NULL;
	for (i = 0; i < p->n_rules; i++)
		n += p->rules[i].expires_us && p->rules[i].expires_us <= now_us;
	if (!n)
		return 0;
	/* Allocated before p changes, so that a failure leaves it whole. */
	*expired = malloc(n * sizeof(**expired));
	if (!*expired)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < p->n_rules; i++) {
		if (p->rules[i].expires_us && p->rules[i].expires_us <= now_us)
			(*expired)[n++] = p->rules[i];
		else
			p->rules[kept++] = p->rules[i];
	}
	p->n_rules = kept;
	return (int)n;
}
