// SPDX-License-Identifier: BSD-2-Clause
/* Drives the alert sinks for tests/integration/sinks.sh: opens the sinks
 * named on the command line, sends the alerts read on standard input and
 * says how long that took and how many failures the sinks counted.
 *
 *   sinkdrive KIND TARGET TIMEOUT_MS QUEUE FACILITY [KIND TARGET ...]
 *
 * KIND is syslog, jsonl, command or webhook; 0 leaves a number at its
 * default. Lines on standard input:
 *   alert TIME_US RULE SEVERITY KEY SIDE METRIC VALUE THRESHOLD WINDOW_US
 *         FIRST_US LAST_US EXAMPLE ACTION SUPPRESSED LINE
 *       (the strings in hex, "-" for an empty one: any byte gets through)
 *       sends it and prints nothing;
 *   failures
 *       prints "failures N send_us T max_us M": the sinks' failures, the
 *       time spent in sinks_send() since the previous report and the
 *       longest single call.
 * At the end of input it closes the sinks (what the workers still queue
 * gets their timeouts) and prints "closed close_us T", how long that took.
 * Exit 0; 1 when a sink does not open (its line on standard error); 2 with
 * one line on a bad argument or input line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"

#define MAX_SINKS 8
#define FIELDS 16

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Decodes hex (or "-", empty) into out (len bytes with the NUL). Returns
 * 0 or -EINVAL. */
static int unhex(const char *hex, char *out, size_t len)
{
	size_t n = strlen(hex), i;
	unsigned int byte;

	if (!strcmp(hex, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (n % 2 || n / 2 >= len)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || !byte)
			return -EINVAL;
		out[i] = (char)byte;
	}
	out[n / 2] = '\0';
	return 0;
}

static int number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end ? -EINVAL : 0;
}

/* Parses an alert line's fields f[1..FIELDS) into *a, its strings into
 * the buffers. Returns 0 or -EINVAL. */
static int parse_alert(char **f, struct store_alert *a, char str[4][256])
{
	uint64_t v[6], suppressed, line;
	char *end;

	if (number(f[1], &v[0]) || unhex(f[2], str[0], 256) || unhex(f[3], str[1], 256) ||
	    unhex(f[4], a->key, sizeof(a->key)) || unhex(f[5], str[2], 256) ||
	    unhex(f[6], a->metric, sizeof(a->metric)) || number(f[9], &v[1]) ||
	    number(f[10], &v[2]) || number(f[11], &v[3]) ||
	    unhex(f[12], a->example, sizeof(a->example)) ||
	    unhex(f[13], a->action, sizeof(a->action)) || number(f[14], &suppressed) ||
	    number(f[15], &line))
		return -EINVAL;
	a->value = strtod(f[7], &end);
	if (*end)
		return -EINVAL;
	a->threshold = strtod(f[8], &end);
	if (*end)
		return -EINVAL;
	a->time_us = v[0];
	a->rule = str[0];
	a->severity = str[1];
	a->side = str[2];
	a->window_us = v[1];
	a->first_us = v[2];
	a->last_us = v[3];
	a->suppressed = suppressed;
	a->line = (unsigned int)line;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { [POLICY_SINK_SYSLOG] = "syslog",
					     [POLICY_SINK_JSONL] = "jsonl",
					     [POLICY_SINK_COMMAND] = "command",
					     [POLICY_SINK_WEBHOOK] = "webhook" };
	uint64_t send_us = 0, max_us = 0, t, timeout_ms, queue, facility;
	struct policy_sink cfg[MAX_SINKS] = { 0 };
	char *line = NULL, *f[FIELDS + 1], *save, str[4][256];
	struct sinks *s = NULL;
	size_t n = 0, cap = 0;
	struct store_alert a;
	int i, k, nf, ret;

	if (argc < 6 || (argc - 1) % 5 || (argc - 1) / 5 > MAX_SINKS) {
		fprintf(stderr, "usage: sinkdrive KIND TARGET TIMEOUT_MS QUEUE FACILITY ...\n");
		return 2;
	}
	for (i = 1; i < argc; i += 5, n++) {
		for (k = POLICY_SINK_SYSLOG; k <= POLICY_SINK_WEBHOOK; k++)
			if (!strcmp(argv[i], kinds[k]))
				cfg[n].kind = k;
		if (!cfg[n].kind || strlen(argv[i + 1]) >= sizeof(cfg[n].target) ||
		    number(argv[i + 2], &timeout_ms) || number(argv[i + 3], &queue) ||
		    number(argv[i + 4], &facility)) {
			fprintf(stderr, "sinkdrive: bad sink %s %s\n", argv[i], argv[i + 1]);
			return 2;
		}
		strcpy(cfg[n].target, argv[i + 1]);
		cfg[n].timeout_us = timeout_ms * 1000;
		cfg[n].queue = (unsigned int)queue;
		cfg[n].facility = (int)facility;
		cfg[n].line = (unsigned int)n + 1;
	}
	ret = sinks_open(&s, cfg, n, stderr);
	if (ret)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		for (nf = 0, f[0] = strtok_r(line, " ", &save); f[nf] && nf < FIELDS;)
			f[++nf] = strtok_r(NULL, " ", &save);
		if (nf == 1 && !strcmp(f[0], "failures")) {
			printf("failures %" PRIu64 " send_us %" PRIu64 " max_us %" PRIu64 "\n",
			       sinks_failures(s), send_us, max_us);
			fflush(stdout);
			send_us = max_us = 0;
			continue;
		}
		memset(&a, 0, sizeof(a));
		if (nf != FIELDS || strcmp(f[0], "alert") || parse_alert(f, &a, str)) {
			fprintf(stderr, "sinkdrive: bad line: %s\n", f[0] ? f[0] : "");
			ret = 2;
			break;
		}
		t = mono_us();
		sinks_send(s, &a);
		t = mono_us() - t;
		send_us += t;
		max_us = t > max_us ? t : max_us;
	}
	free(line);
	t = mono_us();
	sinks_close(s);
	if (!ret) {
		printf("closed close_us %" PRIu64 "\n", mono_us() - t);
		fflush(stdout);
	}
	return ret;
}
