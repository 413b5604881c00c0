// SPDX-License-Identifier: BSD-2-Clause
/* The alert rules' cost at each flush with many tracked sources: CPU per
 * flush and memory per key, for a server's rule set, next to the same
 * traffic without alert rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "alert.h"
#include "policy.h"
#include "store.h"

#define USEC 1000000ULL
#define FLUSH_US (10 * USEC)
#define FLUSHES 40

static const char rules_text[] =
	"alert scan  src distinct dst_port > 100 in 60s\n"
	"alert flood src syn > 200/s\n"
	"alert api   src http_requests > 600 in 60s\n"
	"alert exfil src bytes > 1G in 5m\n"
	"alert fan   src flows > 1000 in 60s\n"
	"alert spike src anomaly bytes 4sigma per 1m warmup 5m\n";

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%*s %ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Source i's flow to port p at t_us. */
static void make_flow(struct flow_key *k, uint32_t i, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->src_addr[0] = 10;
	k->src_addr[1] = (uint8_t)(i >> 16);
	k->src_addr[2] = (uint8_t)(i >> 8);
	k->src_addr[3] = (uint8_t)i;
	k->dst_addr[0] = 192;
	k->dst_addr[1] = 0;
	k->dst_addr[2] = 2;
	k->dst_addr[3] = 1;
	k->src_port = (uint16_t)(32768 + i % 28000);
	k->dst_port = port;
	k->proto = 6;
	k->ip_version = 4;
}

/*
 * Runs FLUSHES flushes of sources sources, each sending one new flow and
 * one SYN per flush, through alerter a (NULL: no alert rules). Prints the
 * CPU per flush and returns it in seconds.
 */
static double run(struct alerter *a, uint32_t sources, uint64_t t0, const char *label)
{
	double cpu = 0;
	int f;

	for (f = 0; f < FLUSHES; f++) {
		uint64_t now = t0 + (uint64_t)(f + 1) * FLUSH_US;
		struct store_stats st = { .time_us = now };
		double start = cpu_s();
		uint32_t i;

		for (i = 0; i < sources; i++) {
			struct flow_event ev = { .kind = FLOW_EVENT_SYN, .tcp_flags = 0x02 };
			uint64_t t = now - FLUSH_US + (uint64_t)i * FLUSH_US / sources;

			make_flow(&ev.key, i, (uint16_t)(80 + (f + i) % 4));
			alert_event(a, &ev, t);
			alert_flow(a, &ev.key, 6, 900 + i % 200, 0x1b, t, t, true);
		}
		alert_flush(a, now, &st);
		cpu += cpu_s() - start;
	}
	printf("%-34s %10.1f ms per flush  %8.3f us per source\n", label,
	       cpu / FLUSHES * 1e3, cpu / FLUSHES / sources * 1e6);
	return cpu / FLUSHES;
}

int main(int argc, char **argv)
{
	uint32_t sources = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	char dir[] = "/tmp/flowdb-alert-cost-XXXXXX", path[64];
	struct store_opts so = { .rotate_interval_us = 3600 * USEC, .hostname = "bench" };
	struct policy p = { 0 };
	struct alerter *a = NULL;
	struct store *s = NULL;
	uint64_t t0 = 1795348800 * USEC;
	double off, on;
	long before, after;
	FILE *f;
	int rc = 1;

	if (!sources || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/policy", dir);
	f = fopen(path, "w");
	if (!f || fputs(rules_text, f) < 0 || fclose(f))
		goto cleanup;
	so.dir = dir;
	if (policy_parse_file(path, &p, stderr) || store_open(&s, &so))
		goto cleanup;
	printf("alert rules at each flush: %u sources, one flow and one SYN each per "
	       "flush, %d flushes of 10 s, %zu rules\n",
	       sources, FLUSHES, p.n_alerts);
	off = run(NULL, sources, t0, "no alert rules");
	before = rss_kib();
	if (alert_open(&a, &p, NULL, NULL, s, stderr))
		goto cleanup;
	on = run(a, sources, t0, "a server's 6 alert rules");
	after = rss_kib();
	printf("ratio on / off: %.1fx; memory for the keys: %.1f MiB, %.0f bytes per source "
	       "and rule\n",
	       off > 0 ? on / off : 0, (after - before) / 1024.0,
	       (after - before) * 1024.0 / sources / p.n_alerts);
	rc = 0;
cleanup:
	alert_close(a);
	store_close(s);
	policy_free(&p);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		rc = 1;
	return rc;
}
