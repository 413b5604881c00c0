// SPDX-License-Identifier: BSD-2-Clause
/* Runs the payload inspectors over payloads in files and prints what they found, for the
 * integration tests that compare it with a reference (tests/integration/ja4_ref.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inspect.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17
#define CLIENT_PORT 40000
#define SERVER_PORT 443
/* The largest payload read: the inspectors bound a hello at INSPECT_HELLO_MAX, and a datagram
 * cannot exceed 64 KiB. */
#define PAYLOAD_MAX 65536

/*
 * inspectfile FILE...: each file a payload, over UDP when its name ends in ".udp", else over
 * TCP, from port 40000 to 443. Prints one line per file: "FILE PROTO JA4 INFO" (PROTO "-"
 * when nothing was recognised, JA4 "-" when empty). Returns 0, or 1 (after one line naming
 * it) when a file cannot be read.
 */
int main(int argc, char **argv)
{
	static uint8_t buf[PAYLOAD_MAX];
	struct inspect_result r;
	const char *name;
	size_t len, n;
	uint8_t l4;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "inspectfile: cannot open %s\n", argv[i]);
			return 1;
		}
		len = fread(buf, 1, sizeof(buf), f);
		if (ferror(f)) {
			fprintf(stderr, "inspectfile: cannot read %s\n", argv[i]);
			fclose(f);
			return 1;
		}
		fclose(f);
		n = strlen(argv[i]);
		l4 = n > 4 && !strcmp(argv[i] + n - 4, ".udp") ? IPPROTO_UDP_NUM : IPPROTO_TCP_NUM;
		inspect_payload(buf, len, l4, CLIENT_PORT, SERVER_PORT, &r);
		name = inspect_proto_name(r.proto);
		printf("%s %s %s %s\n", argv[i], name ? name : "-", r.tls.ja4[0] ? r.tls.ja4 : "-",
		       r.info);
	}
	return 0;
}
