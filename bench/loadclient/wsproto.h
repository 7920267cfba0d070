/* The I/O-free half of the load client: RFC 6455 framing and the scan of a message for its
 * publish time. Everything here takes bytes and returns values; tests/selftest.c drives it. */
#ifndef LOADCLIENT_WSPROTO_H
#define LOADCLIENT_WSPROTO_H

#include <stddef.h>
#include <stdint.h>

enum { WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
       WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA };

#define WS_MAX_HEADER 14   /* 2 + 8 (64-bit length) + 4 (mask) */

typedef struct {
    uint8_t op;
    uint8_t fin;
    uint8_t rsv1;          /* permessage-deflate: the message is compressed (only when allowed) */
    uint8_t *payload;      /* points into the caller's buffer, already unmasked */
    uint64_t len;
} ws_frame_t;

/* Parses the frame at buf[0..len). Returns the bytes it takes (> 0) and fills *f; returns 0 when
 * more bytes are needed (then *need, if not NULL, is the whole frame's size once the header is
 * complete, or 0 while it is not); returns -1 on a protocol error (reserved opcode, oversized
 * control frame, RSV bits set). A masked frame (servers must not send one) is unmasked in place. */
long ws_parse_frame(uint8_t *buf, size_t len, ws_frame_t *f, uint64_t *need);

/* Set when permessage-deflate was offered: RSV1 on a data frame is then accepted (f->rsv1). */
extern int ws_allow_rsv1;

/* Writes a client frame (FIN set, masked with mask_key) of op carrying data[0..len) to out, which
 * must hold len + WS_MAX_HEADER bytes. Returns the frame's size. */
size_t ws_build_client_frame(uint8_t *out, uint8_t op, const uint8_t *data, size_t len,
                             uint32_t mask_key);

/* Checks an HTTP upgrade response held in buf[0..len): returns the size of its header block
 * (through the blank line) when complete and the status is 101, 0 when incomplete, -1 otherwise. */
long ws_check_upgrade_response(const char *buf, size_t len);

/* Finds the integer field "ts": in a JSON text and stores it. Looks at the tail first (the peers
 * put ts last), then the whole text. Returns 1 when found, 0 otherwise. */
int scan_ts(const char *p, size_t n, int64_t *ts);

/* Counts occurrences of "code" (one per stock row of a price_update). */
uint32_t count_codes(const char *p, size_t n);

/* SignalR JSON records end with 0x1E. Calls fn for each complete record in p[0..n) and returns the
 * number of bytes taken (the rest is an incomplete record to carry over). */
typedef void (*record_fn)(void *ctx, const char *rec, size_t n);
size_t split_records(const char *p, size_t n, record_fn fn, void *ctx);

#endif
