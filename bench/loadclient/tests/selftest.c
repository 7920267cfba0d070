/* Checks the I/O-free parts of the load clients on bytes alone: WebSocket framing, the ts scan,
 * SignalR records, HTTP response framing and the histogram. Prints "N passed, N failed". */
#include "hist.h"
#include "httpresp.h"
#include "wsproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
#define CHECK(cond) do { if (cond) passed++; else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static size_t server_frame(uint8_t *out, uint8_t op, int fin, const uint8_t *p, size_t n) {
    size_t hl = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) out[1] = (uint8_t)n;
    else if (n <= 0xFFFF) { out[1] = 126; out[2] = (uint8_t)(n >> 8); out[3] = (uint8_t)n; hl = 4; }
    else { out[1] = 127; for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i)); hl = 10; }
    memcpy(out + hl, p, n);
    return hl + n;
}

static void test_lengths(void) {
    size_t sizes[] = {0, 5, 125, 126, 4500, 65535, 65536, 200000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        uint8_t *p = malloc(n + 1), *buf = malloc(n + 16);
        for (size_t i = 0; i < n; i++) p[i] = (uint8_t)('a' + i % 26);
        size_t fl = server_frame(buf, WS_OP_TEXT, 1, p, n);
        ws_frame_t f;
        uint64_t need = 0;
        /* every truncation says "more" and, once the header is whole, how much */
        for (size_t cut = 0; cut < fl; cut += (fl / 7) + 1) {
            long r = ws_parse_frame(buf, cut, &f, &need);
            CHECK(r == 0);
            if (cut >= 10) CHECK(need == fl);
        }
        long r = ws_parse_frame(buf, fl, &f, &need);
        CHECK(r == (long)fl);
        CHECK(f.len == n && f.fin && f.op == WS_OP_TEXT);
        CHECK(n == 0 || memcmp(f.payload, p, n) == 0);
        free(p);
        free(buf);
    }
}

static void test_client_frame_roundtrip(void) {
    const char *msg = "{\"type\":\"subscribe\",\"codes\":[\"600000\"]}";
    uint8_t out[256];
    size_t n = ws_build_client_frame(out, WS_OP_TEXT, (const uint8_t *)msg, strlen(msg), 0xA1B2C3D4);
    CHECK(out[0] == 0x81);
    CHECK((out[1] & 0x80) != 0);
    CHECK(memcmp(out + 6, msg, strlen(msg)) != 0);            /* masked on the wire */
    ws_frame_t f;
    long r = ws_parse_frame(out, n, &f, NULL);                 /* the parser unmasks in place */
    CHECK(r == (long)n);
    CHECK(f.len == strlen(msg) && memcmp(f.payload, msg, f.len) == 0);
    uint8_t big[70000 + WS_MAX_HEADER], data[70000];
    memset(data, 'x', sizeof data);
    n = ws_build_client_frame(big, WS_OP_BINARY, data, sizeof data, 1);
    CHECK(big[1] == (0x80 | 127) && n == sizeof data + 14);
}

static void test_protocol_errors(void) {
    uint8_t rsv[] = {0xC1, 0x00};       /* RSV1 without an extension */
    uint8_t bad_op[] = {0x83, 0x00};
    uint8_t long_ping[130] = {0x89, 126, 0, 126};
    uint8_t frag_ping[] = {0x09, 0x00};
    ws_frame_t f;
    CHECK(ws_parse_frame(rsv, 2, &f, NULL) == -1);
    CHECK(ws_parse_frame(bad_op, 2, &f, NULL) == -1);
    CHECK(ws_parse_frame(long_ping, sizeof long_ping, &f, NULL) == -1);
    CHECK(ws_parse_frame(frag_ping, 2, &f, NULL) == -1);
}

static void test_upgrade(void) {
    const char ok[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi";
    CHECK(ws_check_upgrade_response(ok, sizeof ok - 1) == (long)(sizeof ok - 1 - 4));
    CHECK(ws_check_upgrade_response(ok, 20) == 0);
    const char no[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    CHECK(ws_check_upgrade_response(no, sizeof no - 1) == -1);
}

static void test_scan(void) {
    int64_t ts = 0;
    const char m[] = "{\"type\":\"price_update\",\"data\":[{\"code\":\"600000\",\"name\":\"x\"},{\"code\":\"600036\"}],"
                     "\"timestamp\":\"2026-11-26T14:30:01.123456+08:00\",\"seq\":123,\"ts\":1764131401123456}";
    CHECK(scan_ts(m, sizeof m - 1, &ts) == 1 && ts == 1764131401123456LL);
    CHECK(count_codes(m, sizeof m - 1) == 2);
    /* every alignment, near the ends too, and look-alikes that must not count */
    char buf[200];
    for (size_t off = 0; off < 40; off++) {
        memset(buf, 'x', sizeof buf);
        memcpy(buf + off, "\"code\"", 6);
        memcpy(buf + 100, "\"ts_code\"\"codes\"\"cod\"", 21);
        memcpy(buf + sizeof buf - 6, "\"code\"", 6);
        CHECK(count_codes(buf, sizeof buf) == 2);
        CHECK(count_codes(buf + off, sizeof buf - off) == 2);
    }
    const char early[] = "{\"ts\": 42,\"data\":\"................................................................................\"}";
    CHECK(scan_ts(early, sizeof early - 1, &ts) == 1 && ts == 42);
    const char none[] = "{\"type\":\"connected\",\"message\":\"hi\"}";
    CHECK(scan_ts(none, sizeof none - 1, &ts) == 0);
    const char tsname[] = "{\"timestamp\":\"x\",\"tss\":1}";
    CHECK(scan_ts(tsname, sizeof tsname - 1, &ts) == 0);
}

static int nrec; static char recs[4][64];
static void rec(void *ctx, const char *p, size_t n) { (void)ctx; if (nrec < 4) { memcpy(recs[nrec], p, n); recs[nrec][n] = 0; } nrec++; }

static void test_records(void) {
    const char s[] = "{}\x1e{\"type\":6}\x1e{\"type\":1,\"ta";
    nrec = 0;
    size_t used = split_records(s, sizeof s - 1, rec, NULL);
    CHECK(nrec == 2);
    CHECK(strcmp(recs[0], "{}") == 0 && strcmp(recs[1], "{\"type\":6}") == 0);
    CHECK(used == 14);
}


/* Feeds s to a fresh parser in pieces of `step` bytes; returns the bytes used, -1 on error. */
static long feed_in_steps(http_resp_t *r, const char *s, size_t n, size_t step) {
    http_resp_reset(r);
    size_t at = 0;
    while (at < n && r->state != HR_DONE) {
        size_t k = n - at < step ? n - at : step;
        long used = http_resp_feed(r, (const uint8_t *)s + at, k);
        if (used < 0) return -1;
        at += (size_t)used;
        if ((size_t)used < k) break;
    }
    return (long)at;
}

static void test_http_framing(void) {
    static http_resp_t r;
    /* Content-Length, gzip, a second response behind it: every split gives the same answer */
    const char two[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 11\r\n"
                       "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n\r\nhello worldHTTP/1.1 200 OK\r\n";
    size_t first = sizeof two - 1 - strlen("HTTP/1.1 200 OK\r\n");
    for (size_t step = 1; step <= sizeof two; step++) {
        long used = feed_in_steps(&r, two, sizeof two - 1, step);
        CHECK(used == (long)first);
        CHECK(r.state == HR_DONE && r.status == 200 && r.gzip && !r.chunked && !r.close && r.body_bytes == 11);
    }
    /* chunked with an extension and a trailer; the chunk framing is not body */
    const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1A\r\n"
                      "abcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for (size_t step = 1; step <= sizeof ch; step += 3) {
        CHECK(feed_in_steps(&r, ch, sizeof ch - 1, step) == (long)(sizeof ch - 1));
        CHECK(r.state == HR_DONE && r.chunked && r.body_bytes == 31);
    }
    /* no body, close, HTTP/1.0 */
    const char nc[] = "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n";
    CHECK(feed_in_steps(&r, nc, sizeof nc - 1, 1000) == (long)(sizeof nc - 1) && r.state == HR_DONE && r.close && r.status == 304);
    const char z[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    CHECK(feed_in_steps(&r, z, sizeof z - 1, 7) == (long)(sizeof z - 1) && r.state == HR_DONE && r.status == 503);
    const char h10[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK(feed_in_steps(&r, h10, sizeof h10 - 1, 5) == (long)(sizeof h10 - 1) && r.close);
    /* a body cut short is not done */
    const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
    CHECK(feed_in_steps(&r, cut, sizeof cut - 1, 4) == (long)(sizeof cut - 1) && r.state == HR_BODY && r.remaining == 97);
    /* malformed: no framing, conflicting lengths, not HTTP, a bad chunk size, a bad chunk end */
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\na",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) CHECK(feed_in_steps(&r, bad[k], strlen(bad[k]), 3) == -1);
}

static void test_hist(void) {
    static hist_t h;
    hist_reset(&h);
    for (uint64_t v = 1; v <= 100000; v++) hist_record(&h, v);
    uint64_t p50 = hist_quantile(&h, 0.5), p99 = hist_quantile(&h, 0.99);
    CHECK(p50 >= 50000 && p50 <= 50000 * 1.001 + 1);
    CHECK(p99 >= 99000 && p99 <= 99000 * 1.001 + 1);
    CHECK(hist_quantile(&h, 1.0) == 100000);
    /* bucket bounds are monotonic and every value lands in a bucket whose top is >= it */
    uint64_t prev = 0;
    for (uint32_t i = 1; i < HIST_BUCKETS; i++) { if (hist_bucket_high(i) <= prev) { failed++; break; } prev = hist_bucket_high(i); }
    passed++;
    uint64_t vals[] = {0, 1, 2047, 2048, 2049, 4095, 4096, 123456789, 1ull << 45};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        uint32_t idx = hist_index(vals[i]);
        CHECK(hist_bucket_high(idx) >= vals[i]);
        CHECK(idx == 0 || hist_bucket_high(idx - 1) < vals[i]);
    }
}

int main(void) {
    test_lengths();
    test_client_frame_roundtrip();
    test_protocol_errors();
    test_upgrade();
    test_scan();
    test_records();
    test_http_framing();
    test_hist();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
