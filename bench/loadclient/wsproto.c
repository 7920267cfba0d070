#define _GNU_SOURCE
#include "wsproto.h"

#include <string.h>

int ws_allow_rsv1 = 0;

long ws_parse_frame(uint8_t *buf, size_t len, ws_frame_t *f, uint64_t *need) {
    if (need) *need = 0;
    if (len < 2) return 0;
    uint8_t b0 = buf[0], b1 = buf[1];
    if (b0 & 0x30) return -1;                         /* RSV2-3: no extension defines them */
    if ((b0 & 0x40) && !ws_allow_rsv1) return -1;     /* RSV1 without permessage-deflate */
    uint8_t op = b0 & 0x0F;
    if ((b0 & 0x40) && op != WS_OP_TEXT && op != WS_OP_BINARY) return -1;
    if ((op > 0x2 && op < 0x8) || op > 0xA) return -1;
    uint64_t plen = b1 & 0x7F;
    size_t hl = 2;
    if (plen == 126) {
        if (len < 4) return 0;
        plen = ((uint64_t)buf[2] << 8) | buf[3];
        hl = 4;
    } else if (plen == 127) {
        if (len < 10) return 0;
        plen = 0;
        for (int i = 0; i < 8; i++) plen = (plen << 8) | buf[2 + i];
        if (plen >> 63) return -1;
        hl = 10;
    }
    if (op >= 0x8 && (plen > 125 || !(b0 & 0x80))) return -1;
    int masked = (b1 & 0x80) != 0;
    if (masked) hl += 4;
    uint64_t total = hl + plen;
    if (need) *need = total;
    if (len < total) return 0;
    uint8_t *payload = buf + hl;
    if (masked) {
        const uint8_t *key = buf + hl - 4;
        for (uint64_t i = 0; i < plen; i++) payload[i] ^= key[i & 3];
    }
    f->op = op;
    f->fin = (b0 & 0x80) != 0;
    f->rsv1 = (b0 & 0x40) != 0;
    f->payload = payload;
    f->len = plen;
    return (long)total;
}

size_t ws_build_client_frame(uint8_t *out, uint8_t op, const uint8_t *data, size_t len,
                             uint32_t mask_key) {
    size_t hl = 2;
    out[0] = (uint8_t)(0x80 | (op & 0x0F));
    if (len < 126) {
        out[1] = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        hl = 4;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    uint8_t key[4] = {(uint8_t)(mask_key >> 24), (uint8_t)(mask_key >> 16),
                      (uint8_t)(mask_key >> 8), (uint8_t)mask_key};
    memcpy(out + hl, key, 4);
    hl += 4;
    for (size_t i = 0; i < len; i++) out[hl + i] = data[i] ^ key[i & 3];
    return hl + len;
}

long ws_check_upgrade_response(const char *buf, size_t len) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return 0;
    /* "HTTP/1.1 101 Switching Protocols" */
    if (len < 12 || memcmp(buf, "HTTP/1.1 101", 12) != 0) return -1;
    return (long)(end - buf) + 4;
}

static int parse_int_at(const char *p, const char *end, int64_t *out) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    int neg = 0;
    if (p < end && *p == '-') { neg = 1; p++; }
    if (p >= end || *p < '0' || *p > '9') return 0;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    *out = neg ? -v : v;
    return 1;
}

int scan_ts(const char *p, size_t n, int64_t *ts) {
    static const char key[] = "\"ts\":";
    const size_t klen = sizeof key - 1;
    const char *end = p + n;
    size_t tail = n < 64 ? n : 64;
    const char *hit = memmem(end - tail, tail, key, klen);
    if (!hit) hit = memmem(p, n, key, klen);
    if (!hit) return 0;
    return parse_int_at(hit + klen, end, ts);
}

static int is_code_key(const char *p) { return memcmp(p, "\"code\"", 6) == 0; }

#ifdef __SSE2__
#include <emmintrin.h>
/* A price_update carries one "code" per row: count them 16 bytes at a time (the scalar memmem
 * loop cost about 2 us per 4.5 KB message, as much as receiving it). */
uint32_t count_codes(const char *p, size_t n) {
    uint32_t c = 0;
    size_t i = 0;
    const __m128i quote = _mm_set1_epi8('"'), ch_c = _mm_set1_epi8('c'), ch_e = _mm_set1_epi8('e');
    for (; i + 16 + 5 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(p + i + 1));
        __m128i d = _mm_loadu_si128((const __m128i *)(p + i + 4));
        __m128i e = _mm_loadu_si128((const __m128i *)(p + i + 5));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, quote)) &
                     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, ch_c)) &
                     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, ch_e)) &
                     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(e, quote));
        while (m) {
            unsigned bit = (unsigned)__builtin_ctz(m);
            m &= m - 1;
            if (is_code_key(p + i + bit)) c++;
        }
    }
    for (; i + 6 <= n; i++)
        if (p[i] == '"' && is_code_key(p + i)) c++;
    return c;
}
#else
uint32_t count_codes(const char *p, size_t n) {
    uint32_t c = 0;
    for (size_t i = 0; i + 6 <= n; i++)
        if (p[i] == '"' && is_code_key(p + i)) c++;
    return c;
}
#endif

size_t split_records(const char *p, size_t n, record_fn fn, void *ctx) {
    size_t start = 0;
    for (;;) {
        const char *rs = memchr(p + start, 0x1E, n - start);
        if (!rs) return start;
        size_t stop = (size_t)(rs - p);
        fn(ctx, p + start, stop - start);
        start = stop + 1;
        if (start >= n) return start;
    }
}
