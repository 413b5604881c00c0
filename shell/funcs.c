// SPDX-License-Identifier: BSD-2-Clause
/* SQL helper functions for ad-hoc queries: cidr_match, human_bytes, ts, ... */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "fmt.h"
#include "funcs.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define PROTO_SCTP 132

/* Returns 1 when addr lies in network, 0 when not or addr is no address,
 * -EINVAL when network is malformed. */
int funcs_cidr_match(const char *addr, const char *network)
{
	struct addr_net n;

	if (addr_parse_net(network, &n))
		return -EINVAL;
	return addr_in_net(&n, addr);
}

/* Returns the lowercase IANA keyword of protocol number proto, or NULL. */
const char *funcs_proto_name(int proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 4:
		return "ipv4";
	case 6:
		return "tcp";
	case 8:
		return "egp";
	case 17:
		return "udp";
	case 41:
		return "ipv6";
	case 43:
		return "ipv6-route";
	case 44:
		return "ipv6-frag";
	case 46:
		return "rsvp";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "ipv6-icmp";
	case 59:
		return "ipv6-nonxt";
	case 60:
		return "ipv6-opts";
	case 88:
		return "eigrp";
	case 89:
		return "ospf";
	case 97:
		return "etherip";
	case 103:
		return "pim";
	case 108:
		return "ipcomp";
	case 112:
		return "vrrp";
	case 115:
		return "l2tp";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	case 137:
		return "mpls-in-ip";
	default:
		return NULL;
	}
}

/* A port's service on each transport, NULL where it does not run. */
struct service {
	uint16_t port;
	const char *tcp, *udp, *sctp;
};

/* Sorted by port for bsearch. Names are what people call the service, so
 * "dns" rather than the registry's "domain". */
static const struct service services[] = {
	{ 20, "ftp-data", NULL, NULL },
	{ 21, "ftp", NULL, NULL },
	{ 22, "ssh", NULL, NULL },
	{ 23, "telnet", NULL, NULL },
	{ 25, "smtp", NULL, NULL },
	{ 53, "dns", "dns", NULL },
	{ 67, NULL, "dhcp", NULL },
	{ 68, NULL, "dhcp", NULL },
	{ 69, NULL, "tftp", NULL },
	{ 80, "http", NULL, NULL },
	{ 88, "kerberos", "kerberos", NULL },
	{ 110, "pop3", NULL, NULL },
	{ 123, NULL, "ntp", NULL },
	{ 137, NULL, "netbios", NULL },
	{ 138, NULL, "netbios", NULL },
	{ 139, "netbios", NULL, NULL },
	{ 143, "imap", NULL, NULL },
	{ 161, NULL, "snmp", NULL },
	{ 162, NULL, "snmptrap", NULL },
	{ 179, "bgp", NULL, NULL },
	{ 389, "ldap", "ldap", NULL },
	/* HTTP/3 runs over QUIC on the same port. */
	{ 443, "https", "quic", NULL },
	{ 445, "smb", NULL, NULL },
	{ 465, "smtps", NULL, NULL },
	{ 500, NULL, "isakmp", NULL },
	/* Syslog over TCP commonly reuses 514, though the registry says rsh. */
	{ 514, "syslog", "syslog", NULL },
	{ 546, NULL, "dhcpv6", NULL },
	{ 547, NULL, "dhcpv6", NULL },
	{ 587, "submission", NULL, NULL },
	{ 636, "ldaps", NULL, NULL },
	{ 853, "dns-over-tls", "dns-over-quic", NULL },
	{ 993, "imaps", NULL, NULL },
	{ 995, "pop3s", NULL, NULL },
	{ 1194, "openvpn", "openvpn", NULL },
	{ 1433, "mssql", NULL, NULL },
	{ 1812, NULL, "radius", NULL },
	{ 1813, NULL, "radius-acct", NULL },
	{ 1900, NULL, "ssdp", NULL },
	{ 2905, NULL, NULL, "m3ua" },
	{ 3306, "mysql", NULL, NULL },
	{ 3389, "rdp", "rdp", NULL },
	{ 3478, "stun", "stun", NULL },
	{ 3868, "diameter", NULL, "diameter" },
	{ 4500, NULL, "ipsec-nat-t", NULL },
	{ 5060, "sip", "sip", "sip" },
	{ 5061, "sips", NULL, "sips" },
	{ 5353, NULL, "mdns", NULL },
	{ 5355, NULL, "llmnr", NULL },
	{ 5432, "postgresql", NULL, NULL },
	{ 5900, "vnc", NULL, NULL },
	{ 6379, "redis", NULL, NULL },
	{ 6443, "kubernetes", NULL, NULL },
	{ 8080, "http-alt", NULL, NULL },
	{ 8443, "https-alt", NULL, NULL },
	{ 9100, "jetdirect", NULL, NULL },
	{ 11211, "memcached", "memcached", NULL },
	{ 27017, "mongodb", NULL, NULL },
	{ 36412, NULL, NULL, "s1ap" },
	{ 38412, NULL, NULL, "ngap" },
	{ 51820, NULL, "wireguard", NULL },
};

/* bsearch comparator: a port key against a services[] entry. Returns <0, 0
 * or >0 as the key sorts before, at or after the entry. */
static int service_cmp(const void *key, const void *entry)
{
	int port = *(const int *)key;
	const struct service *s = entry;

	return port - (int)s->port;
}

/* Returns the ICMP message name of type and code, or NULL. */
static const char *icmp_name(unsigned int type, unsigned int code)
{
	switch (type) {
	case 0:
		return "echo-reply";
	case 3:
		/* The two codes worth telling apart: a closed UDP port, and
		 * path MTU discovery, whose loss breaks connections. */
		if (code == 3)
			return "port-unreach";
		if (code == 4)
			return "frag-needed";
		return "dest-unreach";
	case 4:
		return "source-quench";
	case 5:
		return "redirect";
	case 8:
		return "echo-request";
	case 9:
		return "router-advert";
	case 10:
		return "router-solicit";
	case 11:
		return "time-exceeded";
	case 12:
		return "param-problem";
	case 13:
		return "timestamp-request";
	case 14:
		return "timestamp-reply";
	case 42:
		return "extended-echo-request";
	case 43:
		return "extended-echo-reply";
	default:
		return NULL;
	}
}

/* Returns the ICMPv6 message name of type and code, or NULL. */
static const char *icmpv6_name(unsigned int type, unsigned int code)
{
	switch (type) {
	case 1:
		return code == 4 ? "port-unreach" : "dest-unreach";
	case 2:
		return "packet-too-big";
	case 3:
		return "time-exceeded";
	case 4:
		return "param-problem";
	case 128:
		return "echo-request";
	case 129:
		return "echo-reply";
	case 130:
		return "mld-query";
	case 131:
		return "mld-report";
	case 132:
		return "mld-done";
	case 133:
		return "router-solicit";
	case 134:
		return "router-advert";
	case 135:
		return "neighbor-solicit";
	case 136:
		return "neighbor-advert";
	case 137:
		return "redirect";
	case 138:
		return "router-renumbering";
	case 139:
		return "node-info-query";
	case 140:
		return "node-info-reply";
	case 143:
		return "mld2-report";
	case 160:
		return "extended-echo-request";
	case 161:
		return "extended-echo-reply";
	default:
		return NULL;
	}
}

/* Returns the service name of port on proto (an ICMP message name for ICMP
 * and ICMPv6, whose port is type * 256 + code), or NULL when unknown. */
const char *funcs_service(int port, int proto)
{
	const struct service *s;

	/* Keeps the ICMP type in the port's high byte, as the collector wrote it. */
	if (port < 0 || port > 0xffff)
		return NULL;
	if (proto == PROTO_ICMP)
		return icmp_name((unsigned int)port >> 8, (unsigned int)port & 0xff);
	if (proto == PROTO_ICMPV6)
		return icmpv6_name((unsigned int)port >> 8, (unsigned int)port & 0xff);
	s = bsearch(&port, services, sizeof(services) / sizeof(services[0]), sizeof(services[0]),
		    service_cmp);
	if (!s)
		return NULL;
	switch (proto) {
	case PROTO_TCP:
		return s->tcp;
	case PROTO_UDP:
		return s->udp;
	case PROTO_SCTP:
		return s->sctp;
	default:
		return NULL;
	}
}

/* Whether any of the first n arguments is SQL NULL, in which case the
 * functions return NULL as SQL's own operators do. */
static int any_null(int n, sqlite3_value **argv)
{
	int i;

	for (i = 0; i < n; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return 1;
	return 0;
}

/* cidr_match(addr, network): 1 or 0; NULL for a NULL argument; an error for
 * a malformed network. */
static void sql_cidr_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *addr, *network;
	const struct addr_net *c;
	struct addr_net parsed, *copy;
	char *msg;

	if (any_null(argc, argv))
		return;
	/* network is nearly always a constant, so it is parsed once per
	 * statement instead of once per row; SQLite drops the cached copy
	 * whenever the argument may have changed. */
	c = sqlite3_get_auxdata(ctx, 1);
	if (!c) {
		network = sqlite3_value_text(argv[1]);
		if (!network) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		if (addr_parse_net((const char *)network, &parsed)) {
			msg = sqlite3_mprintf("cidr_match: bad network \"%s\"", network);
			if (msg)
				sqlite3_result_error(ctx, msg, -1);
			else
				sqlite3_result_error_nomem(ctx);
			sqlite3_free(msg);
			return;
		}
		/* SQLite may free copy before set_auxdata returns, so this row
		 * uses the local; without memory, rows just parse again. */
		c = &parsed;
		copy = sqlite3_malloc(sizeof(*copy));
		if (copy) {
			*copy = parsed;
			sqlite3_set_auxdata(ctx, 1, copy, sqlite3_free);
		}
	}
	addr = sqlite3_value_text(argv[0]);
	if (!addr) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_int(ctx, addr_in_net(c, (const char *)addr));
}

/* human_bytes(n): n in binary units, "1.5 KiB"; NULL for NULL. */
static void sql_human_bytes(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[FMT_BUF_SIZE];

	if (any_null(argc, argv))
		return;
	sqlite3_result_text(ctx, fmt_bytes(buf, sizeof(buf), sqlite3_value_int64(argv[0])), -1,
			    SQLITE_TRANSIENT);
}

/* ts(us [, digits]): ISO 8601 UTC with 0, 3 or 6 (default) fractional
 * digits; NULL for a NULL argument; an error for other digits. */
static void sql_ts(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[FMT_BUF_SIZE];
	sqlite3_int64 digits = 6;

	if (any_null(argc, argv))
		return;
	if (argc > 1) {
		/* Exact integers only: 3.5 must not quietly become 3. */
		if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER)
			digits = -1;
		else
			digits = sqlite3_value_int64(argv[1]);
		if (digits != 0 && digits != 3 && digits != 6) {
			sqlite3_result_error(ctx, "ts: digits must be 0, 3 or 6", -1);
			return;
		}
	}
	sqlite3_result_text(ctx,
			    fmt_time(buf, sizeof(buf), sqlite3_value_int64(argv[0]), (int)digits),
			    -1, SQLITE_TRANSIENT);
}

/* duration(us): a compact span, "2m05s"; NULL for NULL. */
static void sql_duration(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[FMT_BUF_SIZE];

	if (any_null(argc, argv))
		return;
	sqlite3_result_text(ctx, fmt_duration(buf, sizeof(buf), sqlite3_value_int64(argv[0])), -1,
			    SQLITE_TRANSIENT);
}

/* proto_name(n): the protocol's keyword, else n as text; NULL for NULL. */
static void sql_proto_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_int64 n;
	const char *name;
	char buf[24];

	if (any_null(argc, argv))
		return;
	n = sqlite3_value_int64(argv[0]);
	name = n >= 0 && n <= 255 ? funcs_proto_name((int)n) : NULL;
	if (name) {
		sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)n);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* service(port, proto): the service name, or NULL when unknown or for a
 * NULL argument. */
static void sql_service(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_int64 port, proto;
	const char *name;

	if (any_null(argc, argv))
		return;
	port = sqlite3_value_int64(argv[0]);
	proto = sqlite3_value_int64(argv[1]);
	/* Range checks first: the casts to int must not wrap into a match. */
	if (port < 0 || port > 0xffff || proto < 0 || proto > 255)
		return;
	name = funcs_service((int)port, (int)proto);
	if (name)
		sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
}

const struct funcs_doc funcs_docs[] = {
	{ "cidr_match", "cidr_match(addr, network)",
	  "1 if addr lies in network (\"10.0.0.0/8\", \"2001:db8::/32\"), else 0" },
	{ "human_bytes", "human_bytes(n)", "n bytes in binary units, e.g. \"1.5 GiB\"" },
	{ "ts", "ts(us [, digits])",
	  "microseconds since the epoch as ISO 8601 UTC, 0, 3 or 6 (default) decimals" },
	{ "duration", "duration(us)", "a span of microseconds, e.g. \"850ms\", \"2m05s\"" },
	{ "proto_name", "proto_name(n)", "the IP protocol's name (\"tcp\"), else the number" },
	{ "service", "service(port, proto)",
	  "the well-known service (\"https\") or ICMP message (\"echo-request\"), or NULL" },
	{ NULL, NULL, NULL },
};

/* What funcs_register creates; ts appears once per argument count so that a
 * wrong count fails when the statement is prepared. */
static const struct {
	const char *name;
	int n_args;
	void (*fn)(sqlite3_context *ctx, int argc, sqlite3_value **argv);
} impls[] = {
	{ "cidr_match", 2, sql_cidr_match },
	{ "human_bytes", 1, sql_human_bytes },
	{ "ts", 1, sql_ts },
	{ "ts", 2, sql_ts },
	{ "duration", 1, sql_duration },
	{ "proto_name", 1, sql_proto_name },
	{ "service", 2, sql_service },
};

/* Creates every function on db. Returns SQLITE_OK or the first error code. */
int funcs_register(sqlite3 *db)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		rc = sqlite3_create_function(db, impls[i].name, impls[i].n_args,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					     NULL, impls[i].fn, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
