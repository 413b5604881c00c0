// SPDX-License-Identifier: BSD-2-Clause
/* Alerts to syslog, JSON lines, a command and a webhook: the first two are
 * written at once and never wait, the other two go through a bounded queue
 * to a worker thread each, so that a slow sink never holds the collector. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "sink.h"

#define LOG_PREFIX "flowdb-collector: "
/* What the policy file's defaults are, for a sink built without them. */
#define SINK_TIMEOUT_US 5000000
#define SINK_QUEUE 1000
#define SYSLOG_SOCKET "/dev/log"
/* A webhook that failed is tried again after 0.5 s, then twice as long
 * each time up to 30 s, until it answers 2xx. */
#define BACKOFF_FIRST_US 500000
#define BACKOFF_MAX_US 30000000
/* Room for one alert as JSON with its newline. Every field at its longest,
 * escaped six bytes for one, is below 2.5 KB; at most PIPE_BUF, so that a
 * line written to a pipe that poll() calls writable goes at once and whole. */
#define SINK_LINE_MAX 4096
/* Room for a syslog message: its fields escaped four bytes for one. */
#define SYSLOG_MAX 2048

struct item {
	size_t len; /* with the newline */
	char text[]; /* the JSON line and its newline */
};

struct sink {
	struct sinks *all;
	struct policy_sink cfg;
	int fd; /* syslog: the socket, -1 until (re)connected; jsonl: the file */
	bool own_fd; /* jsonl: not standard output, closed at the end */
	bool regular; /* jsonl: a regular file, where a write never stalls */
	/* command and webhook: the worker and its queue, a ring of cfg.queue */
	bool started;
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct item **ring;
	size_t head, n;
	bool stopping;
	uint64_t close_by_us; /* stopping: the worker gives up then (monotonic) */
	CURL *curl;
	struct curl_slist *headers;
	bool curl_global; /* curl_global_init() done, to be undone */
};

struct sinks {
	atomic_uint_fast64_t failures;
	size_t n;
	struct sink sink[];
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void count_failure(struct sink *k)
{
	atomic_fetch_add(&k->all->failures, 1);
}

/* --- JSON ---------------------------------------------------------------- */

/* A bounded writer: what does not fit sets full, and the text is dropped. */
struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * The length of the UTF-8 sequence at p (n bytes left, n >= 1), with *ok
 * whether it is well-formed (Unicode table 3-7: no overlong form, no
 * surrogate, nothing past U+10FFFF). An ill-formed one is its maximal
 * subpart, the bytes that could still have begun a valid sequence, so that
 * each becomes one U+FFFD as Unicode recommends (and Python decodes).
 */
static size_t utf8_seq(const unsigned char *p, size_t n, bool *ok)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	*ok = false;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = true;
	return need + 1;
}

/* s as a JSON string: '"' and '\' escaped, control characters and DEL as
 * \u00XX, valid UTF-8 as it is, every ill-formed sequence as \ufffd.
 * NULL is null. */
static void json_string(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, run;
	char esc[8];
	bool ok;

	if (!s) {
		puts_(o, "null");
		return;
	}
	n = strlen(s);
	put(o, "\"", 1);
	while (n) {
		/* Plain printable ASCII goes in runs. */
		for (run = 0; run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
			      p[run] != '\\';
		     run++)
			;
		put(o, (const char *)p, run);
		p += run;
		n -= run;
		if (!n)
			break;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(o, esc, 2);
			run = 1;
		} else if (*p < 0x80) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(o, esc, 6);
			run = 1;
		} else {
			run = utf8_seq(p, n, &ok);
			if (ok)
				put(o, (const char *)p, run);
			else
				puts_(o, "\\ufffd");
		}
		p += run;
		n -= run;
	}
	put(o, "\"", 1);
}

/* v as JSON: an integer below 1e17 as one ("150", not "150.0"), another
 * value in the fewest significant digits that read back as v ("0.1",
 * "1e+300", "5e-324"); what is not finite is null, which JSON has instead.
 * Returns buf (32 bytes). */
static const char *number_text(double v, char *buf, size_t len)
{
	int prec;

	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return buf;
	}
	/* Below 1e17 the cast to int64_t is defined. */
	if (fabs(v) < 1e17 && v == (double)(int64_t)v) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, len, "%.17g", v);
	return buf;
}

static void json_field(struct out *o, const char *name, const char *s)
{
	puts_(o, ",\"");
	puts_(o, name);
	puts_(o, "\":");
	json_string(o, s);
}

static void json_uint(struct out *o, const char *name, uint64_t v)
{
	char t[48];

	snprintf(t, sizeof(t), ",\"%s\":%" PRIu64, name, v);
	puts_(o, t);
}

static void json_double(struct out *o, const char *name, double v)
{
	char t[32];

	puts_(o, ",\"");
	puts_(o, name);
	puts_(o, "\":");
	puts_(o, number_text(v, t, sizeof(t)));
}

int sink_alert_json(const struct store_alert *a, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len, .full = len == 0 };
	char when[FMT_BUF_SIZE];

	fmt_time(when, sizeof(when), (int64_t)a->time_us, 6);
	puts_(&o, "{\"time\":");
	json_string(&o, when);
	json_uint(&o, "time_us", a->time_us);
	json_field(&o, "rule", a->rule);
	json_field(&o, "severity", a->severity);
	json_field(&o, "key", a->key);
	json_field(&o, "side", a->side);
	json_field(&o, "metric", a->metric);
	json_double(&o, "value", a->value);
	json_double(&o, "threshold", a->threshold);
	json_uint(&o, "window_us", a->window_us);
	json_uint(&o, "first_seen_us", a->first_us);
	json_uint(&o, "last_seen_us", a->last_us);
	json_field(&o, "example", a->example);
	json_field(&o, "action", a->action);
	json_uint(&o, "suppressed", a->suppressed);
	json_uint(&o, "line", a->line);
	puts_(&o, "}");
	return o.full ? -ENOSPC : (int)o.pos;
}

/* --- syslog -------------------------------------------------------------- */

/* Connects k to its socket. Returns 0 or a negative errno. */
static int syslog_connect(struct sink *k)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(k->cfg.target) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, k->cfg.target);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	k->fd = fd;
	return 0;
}

/* s for a syslog line, into o: printable ASCII as it is, '\' and (quoted)
 * '"' escaped with '\', every other byte as \xHH, so that a reader of the
 * log sees one line of plain text whatever the alert holds. */
static void syslog_text(struct out *o, const char *s, bool quoted)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char esc[8];

	for (; *p; p++) {
		if (*p == '\\' || (quoted && *p == '"')) {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(o, esc, 2);
		} else if (*p >= 0x20 && *p < 0x7f) {
			put(o, (const char *)p, 1);
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(o, esc, 4);
		}
	}
}

/* The syslog priority of a severity name (critical LOG_CRIT, high LOG_ERR,
 * medium LOG_WARNING, low and anything else LOG_NOTICE). */
static int syslog_level(const char *severity)
{
	static const struct {
		const char *name;
		int level;
	} map[] = { { "critical", LOG_CRIT }, { "high", LOG_ERR }, { "medium", LOG_WARNING } };
	size_t i;

	for (i = 0; severity && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(severity, map[i].name))
			return map[i].level;
	return LOG_NOTICE;
}

/*
 * a as an RFC 3164 message into buf: "<PRI>Mmm dd hh:mm:ss
 * flowdb-collector[PID]: alert RULE severity S key K (SIDE) metric M value V
 * > T in WINDOW at TIME example "E" suppressed N action A"; the header's
 * time is when it is sent, local time as syslog(3) writes it, TIME the
 * alert's own (capture time offline). Returns the length, or -ENOSPC.
 */
static int syslog_message(const struct sink *k, const struct store_alert *a, char *buf,
			  size_t len)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* A user process cannot log as kern (0): 0 is the default, daemon. */
	int facility = k->cfg.facility ? k->cfg.facility : LOG_DAEMON;
	struct out o = { .buf = buf, .len = len };
	char t[256], v[32], th[32], win[FMT_BUF_SIZE], at[FMT_BUF_SIZE];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	snprintf(t, sizeof(t), "<%d>%s %2d %02d:%02d:%02d flowdb-collector[%d]: alert ",
		 facility | syslog_level(a->severity), months[tm.tm_mon], tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)getpid());
	puts_(&o, t);
	syslog_text(&o, a->rule, false);
	puts_(&o, " severity ");
	syslog_text(&o, a->severity, false);
	puts_(&o, " key ");
	syslog_text(&o, a->key, false);
	puts_(&o, " (");
	syslog_text(&o, a->side, false);
	puts_(&o, ") metric ");
	syslog_text(&o, a->metric, false);
	snprintf(t, sizeof(t), " value %s > %s in %s at %s example \"",
		 number_text(a->value, v, sizeof(v)), number_text(a->threshold, th, sizeof(th)),
		 fmt_duration(win, sizeof(win), (int64_t)a->window_us),
		 fmt_time(at, sizeof(at), (int64_t)a->time_us, 6));
	puts_(&o, t);
	syslog_text(&o, a->example, true);
	snprintf(t, sizeof(t), "\" suppressed %" PRIu64 " action ", a->suppressed);
	puts_(&o, t);
	syslog_text(&o, a->action, false);
	return o.full ? -ENOSPC : (int)o.pos;
}

/* Hands a to the syslog socket without waiting. A socket whose reader went
 * away (the daemon restarted) is connected again and the send tried once
 * more; failing that it stays closed until the next alert tries again. A
 * reader too slow to take it (a full queue) costs this alert only. Each
 * alert not sent is a failure. */
static void syslog_send(struct sink *k, const struct store_alert *a)
{
	char msg[SYSLOG_MAX];
	int n = syslog_message(k, a, msg, sizeof(msg)), attempt;

	for (attempt = 0; n > 0 && attempt < 2; attempt++) {
		if (k->fd < 0 && syslog_connect(k))
			break;
		if (send(k->fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
			return;
		if (errno != ECONNREFUSED && errno != ENOTCONN && errno != ECONNRESET &&
		    errno != EPIPE)
			break;
		close(k->fd);
		k->fd = -1;
	}
	count_failure(k);
}

/* --- jsonl --------------------------------------------------------------- */

/*
 * Appends the line (n bytes, with its newline) in one write. Standard
 * output that is a pipe or a terminal is written only when poll() says
 * there is room (a line fits in PIPE_BUF, so it then goes at once and
 * whole): a reader that stalls costs alerts, counted, never the collector.
 * A reader gone is EPIPE, counted, not SIGPIPE, which would end the
 * collector.
 */
static void jsonl_write(struct sink *k, const char *line, size_t n)
{
	struct pollfd pfd = { .fd = k->fd, .events = POLLOUT };
	struct timespec zero = { 0 };
	sigset_t pipe_set, old;
	ssize_t w = -1;

	if (k->regular) {
		w = write(k->fd, line, n);
	} else if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		w = write(k->fd, line, n);
		if (w < 0 && errno == EPIPE)
			sigtimedwait(&pipe_set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (w != (ssize_t)n)
		count_failure(k);
}

/* --- command and webhook workers ----------------------------------------- */

/* Queues it (k->lock held), the oldest alert waiting dropped (freed,
 * counted) when the queue is full: the latest alerts matter most. */
static void queue_push(struct sink *k, struct item *it)
{
	size_t cap = k->cfg.queue;

	if (k->n == cap) {
		free(k->ring[k->head]);
		k->head = (k->head + 1) % cap;
		k->n--;
		count_failure(k);
	}
	k->ring[(k->head + k->n) % cap] = it;
	k->n++;
}

/* The oldest alert waiting, taken from the queue (k->lock held), or NULL. */
static struct item *queue_pop(struct sink *k)
{
	struct item *it;

	if (!k->n)
		return NULL;
	it = k->ring[k->head];
	k->head = (k->head + 1) % k->cfg.queue;
	k->n--;
	return it;
}

/*
 * Runs the command with the line on its standard input (a pipe: the line,
 * below PIPE_BUF, is written whole at once even if the command never reads
 * it), standard output /dev/null, standard error the collector's (its
 * complaints belong in the collector's log), in a process group of its
 * own, signals as at the collector's start. At deadline_us (monotonic) the
 * group is killed. The child is always reaped. Returns 0 when it exited 0,
 * -ETIMEDOUT when it was killed, another negative errno otherwise.
 */
static int command_run(struct sink *k, const struct item *it, uint64_t deadline_us)
{
	char *argv[] = { "sh", "-c", k->cfg.target, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int in[2] = { -1, -1 }, pidfd = -1, status = 0, ret;
	uint64_t now, wait_ms;
	struct pollfd pfd;
	sigset_t none, all;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return -errno;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	ret = -posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	if (ret) {
		close(in[1]);
		return ret;
	}
	/* A command that exits without reading makes this EPIPE (the worker
	 * blocks SIGPIPE): its exit status says whether that was a failure. */
	if (write(in[1], it->text, it->len) < 0 && errno != EPIPE)
		ret = -errno;
	close(in[1]);
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		/* Cannot wait with a timeout: the command must not outlive it. */
		ret = -errno;
		kill(-pid, SIGKILL);
		goto cleanup;
	}
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	for (;;) {
		now = mono_us();
		if (now >= deadline_us) {
			/* Killed before it is reaped: the group's id cannot be
			 * anyone else's yet. */
			kill(-pid, SIGKILL);
			ret = -ETIMEDOUT;
			break;
		}
		/* In steps of a minute at most, which poll()'s int holds. */
		wait_ms = (deadline_us - now + 999) / 1000;
		if (poll(&pfd, 1, wait_ms > 60000 ? 60000 : (int)wait_ms) > 0)
			break;
	}
cleanup:
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = ret ? ret : -errno;
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!ret && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		ret = -ECHILD;
	return ret;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* POSTs the line (without its newline) within timeout_us. Returns 0 for a
 * 2xx answer, -EIO for another answer or none. */
static int webhook_post(struct sink *k, const struct item *it, uint64_t timeout_us)
{
	long code = 0;

	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, (const char *)it->text);
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE, (long)(it->len - 1));
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, (long)((timeout_us + 999) / 1000));
	if (curl_easy_perform(k->curl) != CURLE_OK)
		return -EIO;
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	return code >= 200 && code < 300 ? 0 : -EIO;
}

/* Waits on k->wake (k->lock held) until until_us (monotonic), a signal or
 * the stop. */
static void wait_until(struct sink *k, uint64_t until_us)
{
	struct timespec ts = { .tv_sec = until_us / 1000000,
			       .tv_nsec = (long)(until_us % 1000000) * 1000 };

	pthread_cond_timedwait(&k->wake, &k->lock, &ts);
}

/*
 * A command or webhook sink's worker: takes the queue's alerts in order.
 * A command runs once per alert, its failure counted. A webhook alert is
 * tried until it is delivered, each failure counted, with a backoff that
 * doubles from BACKOFF_FIRST_US to BACKOFF_MAX_US and starts again after a
 * success, so that a server down for a while gets every alert that did
 * not overflow the queue, in order, once it is back. Once stopping, it
 * goes on until the queue is empty or close_by_us.
 */
static void *worker(void *arg)
{
	struct sink *k = arg;
	uint64_t backoff = 0, retry_at = 0, end, now;
	struct item *cur = NULL;
	int ret;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		now = mono_us();
		if (k->stopping && now >= k->close_by_us)
			break;
		if (!cur) {
			cur = queue_pop(k);
			if (!cur && k->stopping)
				break;
			if (!cur) {
				pthread_cond_wait(&k->wake, &k->lock);
				continue;
			}
		} else if (now < retry_at) {
			wait_until(k, k->stopping && k->close_by_us < retry_at ? k->close_by_us
									  : retry_at);
			continue;
		}
		end = now + k->cfg.timeout_us;
		if (k->stopping && k->close_by_us < end)
			end = k->close_by_us;
		pthread_mutex_unlock(&k->lock);
		if (k->cfg.kind == POLICY_SINK_COMMAND)
			ret = command_run(k, cur, end);
		else
			ret = webhook_post(k, cur, end - now);
		pthread_mutex_lock(&k->lock);
		if (ret)
			count_failure(k);
		if (!ret || k->cfg.kind == POLICY_SINK_COMMAND) {
			free(cur);
			cur = NULL;
			backoff = 0;
			continue;
		}
		backoff = backoff ? backoff * 2 : BACKOFF_FIRST_US;
		if (backoff > BACKOFF_MAX_US)
			backoff = BACKOFF_MAX_US;
		retry_at = mono_us() + backoff;
	}
	pthread_mutex_unlock(&k->lock);
	free(cur);
	return NULL;
}

/* --- the set ------------------------------------------------------------- */

/* The webhook's handle: POST of JSON to the URL, http or https only, no
 * signals (the handle lives in a worker thread), no redirect followed.
 * Returns 0 or a negative errno with why. */
static int webhook_open(struct sink *k, const char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ret = -EINVAL;

	*why = "not an http or https URL";
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, k->cfg.target, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")))
		goto cleanup;
	*why = strerror(ENOMEM);
	ret = -ENOMEM;
	k->curl = curl_easy_init();
	k->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!k->curl || !k->headers)
		goto cleanup;
	/* "Expect:" off: no wait for a 100 Continue the server may never send. */
	k->headers = curl_slist_append(k->headers, "Expect:");
	if (!k->headers)
		goto cleanup;
	curl_easy_setopt(k->curl, CURLOPT_URL, k->cfg.target);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->curl, CURLOPT_USERAGENT, "flowdb-collector/" FLOWDB_VERSION);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, discard);
	ret = 0;
cleanup:
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

/* Starts k's worker with every signal blocked: the collector's signals go
 * to its main thread, and a command's closed stdin is EPIPE, not SIGPIPE.
 * Returns 0 or a negative errno. */
static int worker_start(struct sink *k)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int ret;

	k->ring = calloc(k->cfg.queue, sizeof(*k->ring));
	if (!k->ring)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->wake, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&k->worker, NULL, worker, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		pthread_cond_destroy(&k->wake);
		return ret;
	}
	k->started = true;
	return 0;
}

/* Opens sink k as sinks_open() says. Returns 0 or a negative errno after
 * one line on err. */
static int sink_open(struct sink *k, FILE *err)
{
	static const char *const kinds[] = { [POLICY_SINK_SYSLOG] = "syslog",
					     [POLICY_SINK_JSONL] = "jsonl",
					     [POLICY_SINK_COMMAND] = "command",
					     [POLICY_SINK_WEBHOOK] = "webhook" };
	const char *why = NULL;
	bool named;
	struct stat st;
	int ret = 0;

	switch (k->cfg.kind) {
	case POLICY_SINK_SYSLOG:
		if (!k->cfg.target[0])
			strcpy(k->cfg.target, SYSLOG_SOCKET);
		ret = syslog_connect(k);
		break;
	case POLICY_SINK_JSONL:
		if (!strcmp(k->cfg.target, "-")) {
			k->fd = STDOUT_FILENO;
		} else {
			k->fd = open(k->cfg.target,
				     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
			if (k->fd < 0) {
				ret = -errno;
				break;
			}
			k->own_fd = true;
		}
		if (fstat(k->fd, &st))
			ret = -errno;
		k->regular = !ret && S_ISREG(st.st_mode);
		break;
	case POLICY_SINK_COMMAND:
		ret = worker_start(k);
		break;
	case POLICY_SINK_WEBHOOK:
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			ret = -ENOMEM;
			break;
		}
		k->curl_global = true;
		ret = webhook_open(k, &why);
		if (!ret)
			ret = worker_start(k);
		break;
	default:
		ret = -EINVAL;
		why = "unknown kind of sink";
	}
	if (!ret)
		return 0;
	/* A command or a URL may hold a secret: the line number names it. */
	named = k->cfg.kind == POLICY_SINK_SYSLOG || k->cfg.kind == POLICY_SINK_JSONL;
	fprintf(err, LOG_PREFIX "line %u: sink %s%s%s: %s\n", k->cfg.line,
		k->cfg.kind >= POLICY_SINK_SYSLOG && k->cfg.kind <= POLICY_SINK_WEBHOOK
			? kinds[k->cfg.kind]
			: "?",
		named ? " " : "", named ? k->cfg.target : "", why ? why : strerror(-ret));
	return ret;
}

int sinks_open(struct sinks **out, const struct policy_sink *s, size_t n, FILE *err)
{
	struct sinks *set = calloc(1, sizeof(*set) + n * sizeof(set->sink[0]));
	size_t i;
	int ret = 0, r;

	if (!set)
		return -ENOMEM;
	atomic_init(&set->failures, 0);
	/* Every sink is tried, so that all that cannot open are reported. */
	for (i = 0; i < n; i++) {
		struct sink *k = &set->sink[i];

		k->all = set;
		k->cfg = s[i];
		k->fd = -1;
		if (!k->cfg.timeout_us)
			k->cfg.timeout_us = SINK_TIMEOUT_US;
		if (!k->cfg.queue)
			k->cfg.queue = SINK_QUEUE;
		pthread_mutex_init(&k->lock, NULL);
		set->n = i + 1;
		r = sink_open(k, err);
		if (r && !ret)
			ret = r;
	}
	if (ret) {
		sinks_close(set);
		return ret;
	}
	*out = set;
	return 0;
}

void sinks_send(struct sinks *s, const struct store_alert *a)
{
	char line[SINK_LINE_MAX];
	struct item *it;
	int n = 0;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sink[i];

		if (k->cfg.kind == POLICY_SINK_SYSLOG) {
			syslog_send(k, a);
			continue;
		}
		/* The JSON once for all the others; room kept for its newline. */
		if (!n) {
			n = sink_alert_json(a, line, sizeof(line) - 1);
			if (n > 0) {
				line[n++] = '\n';
				line[n] = '\0';
			}
		}
		if (n < 0) {
			count_failure(k);
		} else if (k->cfg.kind == POLICY_SINK_JSONL) {
			jsonl_write(k, line, (size_t)n);
		} else if (!(it = malloc(sizeof(*it) + (size_t)n + 1))) {
			count_failure(k);
		} else {
			it->len = (size_t)n;
			memcpy(it->text, line, (size_t)n + 1);
			pthread_mutex_lock(&k->lock);
			queue_push(k, it);
			pthread_cond_signal(&k->wake);
			pthread_mutex_unlock(&k->lock);
		}
	}
}

uint64_t sinks_failures(const struct sinks *s)
{
	return s ? atomic_load(&s->failures) : 0;
}

void sinks_close(struct sinks *s)
{
	uint64_t now = mono_us();
	size_t i;

	if (!s)
		return;
	/* Every worker drains at once, so that the whole takes the longest
	 * timeout, not their sum. */
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sink[i];

		if (!k->started)
			continue;
		pthread_mutex_lock(&k->lock);
		k->stopping = true;
		k->close_by_us = now + k->cfg.timeout_us;
		pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
	}
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sink[i];

		if (k->started) {
			pthread_join(k->worker, NULL);
			pthread_cond_destroy(&k->wake);
		}
		while (k->n)
			free(queue_pop(k));
		free(k->ring);
		if (k->fd >= 0 && (k->own_fd || k->cfg.kind == POLICY_SINK_SYSLOG))
			close(k->fd);
		curl_easy_cleanup(k->curl);
		curl_slist_free_all(k->headers);
		if (k->curl_global)
			curl_global_cleanup();
		pthread_mutex_destroy(&k->lock);
	}
	free(s);
}
