// SPDX-License-Identifier: BSD-2-Clause
/* Writes classic pcap files (microsecond timestamps, Ethernet). */
#include <errno.h>
#include "pcapw.h"

#define PCAP_MAGIC_US 0xa1b2c3d4
#define LINKTYPE_ETHERNET 1
#define SNAPLEN 65535

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
	uint32_t ts_sec, ts_usec, caplen, len;
};

FILE *pcapw_open(const char *path)
{
	struct pcap_file_header h = { PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET };
	FILE *f = fopen(path, "wb");

	if (!f)
		return NULL;
	if (fwrite(&h, sizeof(h), 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

int pcapw_write(FILE *f, uint64_t ts_us, const uint8_t *frame, size_t len)
{
	struct pcap_record_header r = { ts_us / 1000000, ts_us % 1000000, len, len };

	if (fwrite(&r, sizeof(r), 1, f) != 1 || fwrite(frame, 1, len, f) != len)
		return -1;
	return 0;
}

int pcapw_close(FILE *f)
{
	int err = ferror(f);

	if (fclose(f) || err) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
