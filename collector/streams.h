/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-flow inspection state: the payload copies of one flow direction put back in order and
 * handed to the pure inspectors until they need nothing more. */
#ifndef STREAMS_H
#define STREAMS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "flowdb.h"
#include "inspect.h"

/*
 * The kernel copies the start of each flow direction's payload, packet by
 * packet, within the flow's budget (flowdb.h). A stream is what user space
 * keeps of one direction between copies:
 * - TCP: the stream's first bytes in sequence order (retransmissions
 *   dropped, a hole ending the run), up to STREAMS_START_MAX, so that a
 *   TLS hello split across segments, or behind a PROXY protocol header, is
 *   read whole; a STARTTLS dialogue (SMTP, IMAP, POP3, FTP) is followed to
 *   the TLS hello after it; an HTTP/1.x keep-alive connection has every
 *   message of every copy read, each request counted and named, and its
 *   response's status paired with it from the other direction.
 * - UDP: a QUIC client's Initial packets decrypted and their CRYPTO frames,
 *   a DTLS client's handshake fragments put together by offset until the
 *   ClientHello is whole; DNS messages each read.
 * A stream is done when its finding is made and nothing more can come of
 * it; streams_payload() then says so, and the caller stops the kernel's
 * copies of that flow.
 */

/* Bytes of a TCP stream's start kept to find a message in, and of a
 * handshake message put together from pieces. */
#define STREAMS_START_MAX 20480
/* Requests per flow direction waiting for their response's status. */
#define STREAMS_PENDING_MAX 32

struct streams;

/* An HTTP request, named once its response came or never will. */
struct streams_request {
	const struct flow_key *key; /* the request's direction */
	uint64_t time_us;
	const char *method, *host, *path;
	int status; /* -1: no response was seen */
};

/* What streams hand to the collector; every callback returns 0 or a
 * negative errno, which streams_payload() passes on after finishing its
 * work. */
struct streams_sink {
	/* A flow direction's finding, once: r as an inspector fills it;
	 * fingerprint: the client's JA4, or NULL. */
	int (*finding)(void *arg, const struct flow_key *key, uint64_t time_us,
		       const struct inspect_result *r, const char *fingerprint);
	/* Every HTTP/1.x message (request or response) and DNS message read,
	 * the first one included. */
	int (*message)(void *arg, const struct flow_key *key, uint64_t time_us,
		       const struct inspect_result *r);
	/* A request named (see struct streams_request). */
	int (*request)(void *arg, const struct streams_request *q);
	/* The TCP flow's payload up to sequence number until is known and
	 * not needed (an HTTP body): its copies can be spared. NULL: none. */
	int (*skip)(void *arg, const struct flow_key *key, uint32_t until);
	void *arg;
};

/* Counts since streams_new(). */
struct streams_counts {
	uint64_t streams; /* opened */
	uint64_t full; /* copies not read: max_streams were open */
	uint64_t holes; /* TCP runs ended by a missing segment or a lost copy */
	uint64_t quic_decrypted; /* QUIC Initial packets decrypted */
};

/* Creates an empty set of at most max_streams flow directions (at least 1)
 * reporting to sink (copied). Returns 0 and sets *out, or -ENOMEM. */
int streams_new(struct streams **out, uint32_t max_streams, const struct streams_sink *sink);

/* Frees the set and every stream in it, handing nothing over (end them
 * first with streams_end_all()). NULL is fine. */
void streams_free(struct streams *s);

/*
 * Reads one payload copy of len bytes (a struct payload_event and its data;
 * a shorter one is ignored) made at time_us. Returns 1 when the copy's flow
 * direction needs no more copies (the first time only: the caller stops
 * them in the kernel), 0 when it does or was told already, or the first
 * negative errno a sink callback returned.
 */
int streams_payload(struct streams *s, const void *event, size_t len, uint64_t time_us);

/* The flow direction saw a FIN or RST at time_us: it ends at the next
 * streams_expire(). */
void streams_fin(struct streams *s, const struct flow_key *key, uint64_t time_us);

/* Ends the streams that saw a FIN or RST, or nothing for idle_us, by
 * now_us: a finding still held back is made, and requests still waiting for
 * a response are named without a status. Returns the number ended. */
size_t streams_expire(struct streams *s, uint64_t now_us, uint64_t idle_us);

/* Ends every stream, as streams_expire() does. */
void streams_end_all(struct streams *s);

/* Open streams. */
size_t streams_count(const struct streams *s);

/* The counts since streams_new() into *out. */
void streams_counts(const struct streams *s, struct streams_counts *out);

#endif /* STREAMS_H */
