// SPDX-License-Identifier: BSD-2-Clause
/* flowdb-ctl: blocks, limits, alerts, reload and status of a running
 * collector, over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "ctlproto.h"
#include "units.h"

#define DEFAULT_SOCKET "/run/flowdb/control.sock"
/* How long the collector may take to answer: it serves requests between
 * flushes, which take well under a second. */
#define REPLY_TIMEOUT_MS 10000

/* A macro's value as a string literal, for messages. */
#define TEXT_OF_(x) #x
#define TEXT_OF(x) TEXT_OF_(x)

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowdb-ctl [-S SOCKET] [-f table|csv|json] COMMAND\n"
		"Controls a running flowdb-collector over its control socket.\n"
		"\n"
		"Commands:\n"
		"  block add CIDR [--for DUR] [--reason TEXT] [--dst]\n"
		"                       drop packets from CIDR (to it with --dst), for DUR\n"
		"                       (30s, 10m, 1h, 7d) or until removed\n"
		"  block del CIDR [--dst]\n"
		"                       remove that block\n"
		"  block list           the blocks in force, from the file and added live\n"
		"  limit list           the rate limits in force\n"
		"  alerts [-n N]        the latest N alerts raised (default %d, at most %d),\n"
		"                       newest first\n"
		"  reload               read the policy file again, swapped in at once\n"
		"  status               the collector's state and counters\n"
		"\n"
		"Options:\n"
		"  -S, --socket PATH    the collector's --control socket (default %s)\n"
		"  -f, --format FMT     table (default), csv or json\n"
		"  -n, --count N        alerts: how many\n"
		"  -h, --help           this help\n"
		"  -V, --version        the version\n"
		"\n"
		"Root and members of group flowdb may connect. Exit status: 0 done, 1 the\n"
		"collector refused or could not be reached, 2 a bad command line.\n",
		CTLPROTO_ALERTS_DEFAULT, CTLPROTO_ALERTS_MAX, DEFAULT_SOCKET);
}

/* Says what is wrong with the command line, in one line. Returns 2. */
static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowdb-ctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (flowdb-ctl --help lists the commands)\n");
	return 2;
}

/*
 * Builds the request from the command words and options (count: -n, or
 * NULL). Returns 0, or 2 after one line saying what is wrong.
 */
static int build_request(struct ctl_request *req, int argc, char **argv, const char *for_text,
			 const char *reason, bool dst, const char *count)
{
	const char *what;
	int want = 1;

	memset(req, 0, sizeof(*req));
	if (argc < 1)
		return bad_usage("no command%s", "");
	what = argv[0];
	if (!strcmp(argv[0], "block") && argc >= 2) {
		what = argv[1];
		if (!strcmp(argv[1], "add"))
			req->cmd = CTL_BLOCK_ADD;
		else if (!strcmp(argv[1], "del"))
			req->cmd = CTL_BLOCK_DEL;
		else if (!strcmp(argv[1], "list"))
			req->cmd = CTL_BLOCK_LIST;
		/* add and del take the network as a third word. */
		want = req->cmd == CTL_BLOCK_LIST ? 2 : 3;
	} else if (!strcmp(argv[0], "limit") && argc >= 2) {
		what = argv[1];
		want = 2;
		if (!strcmp(argv[1], "list"))
			req->cmd = CTL_LIMIT_LIST;
	} else if (!strcmp(argv[0], "reload")) {
		req->cmd = CTL_RELOAD;
	} else if (!strcmp(argv[0], "status")) {
		req->cmd = CTL_STATUS;
	} else if (!strcmp(argv[0], "alerts")) {
		req->cmd = CTL_ALERTS;
	} else if (!strcmp(argv[0], "block") || !strcmp(argv[0], "limit")) {
		return bad_usage("%s needs a subcommand", argv[0]);
	}
	if (!req->cmd)
		return bad_usage("unknown command '%s'", what);
	if (want == 3 && argc < 3)
		return bad_usage("block %s needs a network (CIDR)", argv[1]);
	if (argc > want)
		return bad_usage("unexpected argument '%s'", argv[want]);
	if (req->cmd != CTL_BLOCK_ADD && (for_text || reason))
		return bad_usage("%s applies to block add only", for_text ? "--for" : "--reason");
	if (req->cmd != CTL_BLOCK_ADD && req->cmd != CTL_BLOCK_DEL && dst)
		return bad_usage("--dst applies to block add and del only%s", "");
	if (req->cmd != CTL_ALERTS && count)
		return bad_usage("-n applies to alerts only%s", "");
	if (count) {
		uint64_t v = 0;
		size_t i;

		/* Digits only, and no more than the bound has: no sign, no
		 * space, no overflow past it. */
		for (i = 0; count[i] >= '0' && count[i] <= '9' && v <= CTLPROTO_ALERTS_MAX; i++)
			v = v * 10 + (uint64_t)(count[i] - '0');
		if (!i || count[i] || !v || v > CTLPROTO_ALERTS_MAX)
			return bad_usage("not a number of alerts: '%s' (1 to " TEXT_OF(
						 CTLPROTO_ALERTS_MAX) ")",
					 count);
		req->n = (unsigned int)v;
	}
	if (want < 3)
		return 0;
	if (strlen(argv[2]) >= sizeof(req->net_text) || addr_parse_net(argv[2], &req->net))
		return bad_usage("not a network: '%s' (10.0.0.0/8, 192.0.2.7, 2001:db8::/32)",
				 argv[2]);
	strcpy(req->net_text, argv[2]);
	req->side = dst ? CTL_SIDE_DST : CTL_SIDE_SRC;
	if (for_text && units_parse_duration(for_text, &req->for_us))
		return bad_usage("not a duration: '%s' (30s, 10m, 1h, 7d)", for_text);
	if (reason) {
		size_t i;

		if (strlen(reason) >= sizeof(req->reason))
			return bad_usage("the reason is longer than 127 bytes%s", "");
		for (i = 0; reason[i]; i++)
			if ((unsigned char)reason[i] < ' ' || (unsigned char)reason[i] > '~')
				return bad_usage("the reason is not printable ASCII%s", "");
		strcpy(req->reason, reason);
	}
	return 0;
}

/* Connects to path, sends line and reads the whole reply into *out (NUL
 * added). Returns 0, or 1 after one line saying what went wrong. */
static int exchange(const char *path, const char *line, size_t len, char **out, size_t *out_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t have = 0, cap = 4096, off = 0;
	char *buf = NULL;
	int fd, rc = 1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "flowdb-ctl: socket path longer than %zu bytes\n",
			sizeof(sa.sun_path) - 1);
		return 1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "flowdb-ctl: cannot create a socket: %s\n", strerror(errno));
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == EACCES || errno == EPERM)
			fprintf(stderr,
				"flowdb-ctl: permission denied: %s (only root and group flowdb "
				"may connect)\n",
				path);
		else
			fprintf(stderr,
				"flowdb-ctl: cannot connect to %s: %s (is flowdb-collector running "
				"with --control?)\n",
				path, strerror(errno));
		goto cleanup;
	}
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		/* A refused peer gets its answer and the connection closed
		 * before it sends: read what came back all the same. */
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf = malloc(cap);
	if (!buf) {
		fprintf(stderr, "flowdb-ctl: out of memory\n");
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) == 0) {
			fprintf(stderr, "flowdb-ctl: %s: no reply within %d s\n", path,
				REPLY_TIMEOUT_MS / 1000);
			goto cleanup;
		}
		if (have + 1 == cap) {
			char *grown;

			if (cap > CTLPROTO_REPLY_MAX) {
				fprintf(stderr, "flowdb-ctl: %s: a reply larger than %d bytes\n",
					path, CTLPROTO_REPLY_MAX);
				goto cleanup;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				fprintf(stderr, "flowdb-ctl: out of memory\n");
				goto cleanup;
			}
			buf = grown;
			cap *= 2;
		}
		n = recv(fd, buf + have, cap - have - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != ECONNRESET) {
			fprintf(stderr, "flowdb-ctl: %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	*out = buf;
	*out_len = have;
	buf = NULL;
	rc = 0;
cleanup:
	free(buf);
	close(fd);
	return rc;
}

/* Writes text for a terminal or a spreadsheet: every byte outside
 * printable ASCII as \xHH, so that nothing in a value (a reason from the
 * policy file) moves the cursor or changes colours. */
static void put_visible(FILE *f, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s > '~')
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
}

/* The width put_visible() gives s. */
static size_t visible_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (unsigned char)*s < ' ' || (unsigned char)*s > '~' ? 4 : 1;
	return n;
}

/* Whether s is a number as the collector writes one: an optional '-',
 * digits without a leading zero, and an optional fraction ("12.5", an
 * alert's value). */
static bool is_number(const char *s)
{
	size_t i = s[0] == '-';

	if (s[i] < '0' || s[i] > '9' || (s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9'))
		return false;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
	return !s[i];
}

/* Writes the line in buf (of len bytes) without its trailing spaces, which
 * an empty last column leaves, then a newline; empties buf. */
static void put_line(FILE *buf_f, char **buf, size_t *len)
{
	fflush(buf_f);
	while (*len && (*buf)[*len - 1] == ' ')
		(*len)--;
	fwrite(*buf, 1, *len, stdout);
	putchar('\n');
	rewind(buf_f);
	*len = 0;
}

/* Columns aligned, numbers to the right, a value the row lacks empty.
 * Returns 0, or -ENOMEM. */
static int print_table(const struct ctl_table *t)
{
	size_t w[CTLPROTO_COLS_MAX], r, len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	int c;

	if (!f)
		return -ENOMEM;
	for (c = 0; c < t->n_cols; c++) {
		w[c] = visible_width(t->cols[c]);
		for (r = 0; r < t->n_rows; r++) {
			const char *v = t->cells[r * (size_t)t->n_cols + (size_t)c];

			if (v && visible_width(v) > w[c])
				w[c] = visible_width(v);
		}
	}
	for (c = 0; c < t->n_cols; c++) {
		fputs(c ? "  " : "", f);
		put_visible(f, t->cols[c]);
		fprintf(f, "%*s", (int)(w[c] - visible_width(t->cols[c])), "");
	}
	put_line(f, &buf, &len);
	for (r = 0; r < t->n_rows; r++) {
		for (c = 0; c < t->n_cols; c++) {
			const char *v = t->cells[r * (size_t)t->n_cols + (size_t)c];
			int pad = (int)(w[c] - (v ? visible_width(v) : 0));
			bool right = v && is_number(v);

			fprintf(f, "%s%*s", c ? "  " : "", right ? pad : 0, "");
			put_visible(f, v ? v : "");
			fprintf(f, "%*s", right ? 0 : pad, "");
		}
		put_line(f, &buf, &len);
	}
	fclose(f);
	free(buf);
	return 0;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or space;
 * text a spreadsheet would compute (=, +, -, @ first) gets a leading '. */
static void put_csv(const char *v)
{
	bool guard = v[0] && strchr("=+-@", v[0]) && !is_number(v);
	bool quote = guard || strpbrk(v, ",\" ") != NULL;

	if (quote)
		putchar('"');
	if (guard)
		putchar('\'');
	for (; *v; v++) {
		if (*v == '"')
			putchar('"');
		if ((unsigned char)*v < ' ' || (unsigned char)*v > '~')
			printf("\\x%02x", (unsigned char)*v);
		else
			putchar(*v);
	}
	if (quote)
		putchar('"');
}

static void print_csv(const struct ctl_table *t)
{
	size_t r;
	int c;

	for (c = 0; c < t->n_cols; c++) {
		fputs(c ? "," : "", stdout);
		put_csv(t->cols[c]);
	}
	fputs("\r\n", stdout);
	for (r = 0; r < t->n_rows; r++) {
		for (c = 0; c < t->n_cols; c++) {
			const char *v = t->cells[r * (size_t)t->n_cols + (size_t)c];

			fputs(c ? "," : "", stdout);
			put_csv(v ? v : "");
		}
		fputs("\r\n", stdout);
	}
}

/* The length of the UTF-8 sequence at s, or 0 when it is not one (an
 * overlong form, a surrogate, beyond U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string: exact, UTF-8 as it is, control characters escaped, a
 * byte that is not UTF-8 as U+FFFD. */
static void put_json_string(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;

	putchar('"');
	while (*s) {
		size_t n = *s >= 0x80 ? utf8_len(s) : 1;

		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s < ' ' || *s == 0x7f)
			printf("\\u%04x", *s);
		else if (!n)
			fputs("\\ufffd", stdout);
		else
			fwrite(s, 1, n, stdout);
		s += n ? n : 1;
	}
	putchar('"');
}

/* One array of objects, numbers as numbers, a value the row lacks null. */
static void print_json(const struct ctl_table *t)
{
	size_t r;
	int c;

	putchar('[');
	for (r = 0; r < t->n_rows; r++) {
		fputs(r ? ",\n{" : "\n{", stdout);
		for (c = 0; c < t->n_cols; c++) {
			const char *v = t->cells[r * (size_t)t->n_cols + (size_t)c];

			fputs(c ? "," : "", stdout);
			put_json_string(t->cols[c]);
			putchar(':');
			if (!v)
				fputs("null", stdout);
			/* Whole numbers past 18 digits lose precision in
			 * many readers: those stay strings. */
			else if (is_number(v) && (strchr(v, '.') || strlen(v) < 19))
				fputs(v, stdout);
			else
				put_json_string(v);
		}
		putchar('}');
	}
	puts(t->n_rows ? "\n]" : "]");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "socket", required_argument, NULL, 'S' },
						  { "format", required_argument, NULL, 'f' },
						  { "for", required_argument, NULL, 'F' },
						  { "reason", required_argument, NULL, 'R' },
						  { "dst", no_argument, NULL, 'D' },
						  { "count", required_argument, NULL, 'n' },
						  { "help", no_argument, NULL, 'h' },
						  { "version", no_argument, NULL, 'V' },
						  { 0 } };
	const char *path = DEFAULT_SOCKET, *for_text = NULL, *reason = NULL, *count = NULL;
	enum format format = FORMAT_TABLE;
	struct ctl_request req;
	struct ctl_table t = { 0 };
	char line[CTLPROTO_LINE_MAX], why[160];
	char *reply = NULL;
	size_t reply_len;
	bool dst = false;
	int opt, len, rc;

	while ((opt = getopt_long(argc, argv, "S:f:n:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				format = FORMAT_TABLE;
			else if (!strcmp(optarg, "csv"))
				format = FORMAT_CSV;
			else if (!strcmp(optarg, "json"))
				format = FORMAT_JSON;
			else
				return bad_usage("unknown format '%s' (table, csv or json)",
						 optarg);
			break;
		case 'F':
			for_text = optarg;
			break;
		case 'R':
			reason = optarg;
			break;
		case 'D':
			dst = true;
			break;
		case 'n':
			count = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("flowdb-ctl %s\n", FLOWDB_VERSION);
			return 0;
		default:
			/* getopt said what it did not understand. */
			return 2;
		}
	}
	rc = build_request(&req, argc - optind, argv + optind, for_text, reason, dst, count);
	if (rc)
		return rc;
	len = ctlproto_encode_request(&req, line, sizeof(line));
	if (len < 0) {
		fprintf(stderr, "flowdb-ctl: the request does not fit one line of %d bytes\n",
			CTLPROTO_LINE_MAX);
		return 2;
	}
	if (exchange(path, line, (size_t)len, &reply, &reply_len))
		return 1;
	rc = ctlproto_decode_reply(reply, reply_len, &t, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "flowdb-ctl: %s: %s\n", path,
			rc == -ENOMEM ? "out of memory for the reply" : why);
		rc = 1;
	} else if (t.error) {
		/* "permission denied: ..." and the collector's refusals. */
		fprintf(stderr, "flowdb-ctl: %s\n", t.error);
		rc = 1;
	} else if (t.n_cols) {
		int err = 0;

		if (format == FORMAT_CSV)
			print_csv(&t);
		else if (format == FORMAT_JSON)
			print_json(&t);
		else
			err = print_table(&t);
		if (err)
			fprintf(stderr, "flowdb-ctl: out of memory\n");
		rc = err || fflush(stdout) || ferror(stdout) ? 1 : 0;
	}
	ctlproto_table_free(&t);
	free(reply);
	return rc;
}
