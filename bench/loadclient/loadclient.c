/* WebSocket fan-out load client.
 *
 * Holds N WebSocket connections to one server with epoll and non-blocking sockets, and for every
 * price message received records receipt time minus the message's "ts" (publish time, epoch
 * microseconds, CLOCK_REALTIME on the same machine) in a log-linear histogram. Around a measured
 * window (after a warm-up) it samples the server's CPU time and resident memory from /proc and its
 * own CPU time, then prints one line of JSON. See README.md for the options and the method.
 */
#define _GNU_SOURCE
#include "hist.h"
#include "common.h"
#include "wsproto.h"

#include <zlib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum conn_state { C_FREE, C_CONNECTING, C_UPGRADING, C_OPEN, C_CLOSED };

typedef struct conn {
    int fd;
    uint32_t idx;
    uint8_t state;
    uint8_t stalled;       /* never read after the upgrade */
    uint8_t want_out;      /* EPOLLOUT registered */
    uint8_t frag_op;
    uint8_t attempts;
    uint8_t *buf;          /* received bytes not yet parsed */
    uint32_t len, cap;
    uint8_t *frag;         /* a fragmented message being reassembled */
    uint32_t flen, fcap;
    uint8_t *carry;        /* SignalR: an incomplete record waiting for its 0x1E */
    uint32_t clen, ccap;
    uint8_t *out;          /* bytes the socket did not take yet */
    uint32_t olen, ocap;
} conn_t;

static struct {
    const char *host;
    int port;
    const char *path;
    int conns;
    int src_ips;
    int concurrency;
    double connect_timeout;
    double warmup;
    double duration;
    int server_pid;
    const char *send_msg;
    int signalr;
    int stall;
    int stall_rcvbuf;
    int stall_mss;
    int updates_per_msg;
    int expect_interval_ms;
    const char *label;
    int verbose;
    int dump;
    const char *match;
    int server_core, client_core;
    int deflate;
} opt = {
    .host = "127.0.0.1", .port = 8000, .path = "/ws/stock/prices", .conns = 1000, .src_ips = 0,
    .concurrency = 200, .connect_timeout = 120, .warmup = 5, .duration = 20, .server_pid = 0,
    .send_msg = NULL, .signalr = 0, .stall = 0, .stall_rcvbuf = 4096, .stall_mss = 536, .updates_per_msg = 0,
    .expect_interval_ms = 0, .label = "", .verbose = 0, .match = "price_update", .server_core = -1, .client_core = -1,
};

static conn_t *conns;
static int epfd;
static hist_t hist;
/* The window cut into 1 s slices: a p99 per slice, so one hiccup of a shared machine (another
 * process taking the server's core for a moment) moves one slice, not the comparison. */
static hist_t slice_hist;
static uint64_t slice_p99[4096];
static int slices;
static int measuring;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* counted within the measured window */
static struct {
    uint64_t msgs, updates, other_msgs, bytes, negative_lat, no_ts, frames;
} win;

static struct {
    uint64_t connect_errors, upgrade_errors, closed, protocol_errors, pings_answered;
    int open, inflight, started, stalled_open;
} st;

static uint32_t rnd32(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static double mono_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t realtime_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* ---- connections ------------------------------------------------------------------------- */

static void ensure_cap(uint8_t **b, uint32_t *cap, uint64_t need) {
    if (need <= *cap) return;
    uint64_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    if (c > 0x7FFFFFFFull) die("message too large (%llu bytes)", (unsigned long long)need);
    uint8_t *nb = realloc(*b, c);
    if (!nb) die("out of memory");
    *b = nb;
    *cap = (uint32_t)c;
}

static void set_events(conn_t *c, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0) die("epoll_ctl MOD: %s", strerror(errno));
}

static void conn_close(conn_t *c, int counted_as_closed) {
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    if (c->state == C_OPEN) {
        st.open--;
        if (c->stalled) st.stalled_open--;
    } else if (c->state == C_CONNECTING || c->state == C_UPGRADING) {
        st.inflight--;
    }
    if (counted_as_closed) st.closed++;
    c->fd = -1;
    c->state = C_CLOSED;
    free(c->buf); c->buf = NULL; c->len = c->cap = 0;
    free(c->frag); c->frag = NULL; c->flen = c->fcap = 0;
    free(c->carry); c->carry = NULL; c->clen = c->ccap = 0;
    free(c->out); c->out = NULL; c->olen = c->ocap = 0;
}

/* Writes bytes, keeping what the socket does not take for EPOLLOUT. */
static void conn_write(conn_t *c, const uint8_t *data, size_t n) {
    if (c->fd < 0) return;
    size_t off = 0;
    if (c->olen == 0) {
        while (off < n) {
            ssize_t w = send(c->fd, data + off, n - off, MSG_NOSIGNAL);
            if (w > 0) { off += (size_t)w; continue; }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            conn_close(c, 1);
            return;
        }
        if (off == n) return;
    }
    ensure_cap(&c->out, &c->ocap, (uint64_t)c->olen + (n - off));
    memcpy(c->out + c->olen, data + off, n - off);
    c->olen += (uint32_t)(n - off);
    if (!c->want_out && !c->stalled) {
        c->want_out = 1;
        set_events(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
    }
}

static void conn_flush(conn_t *c) {
    uint32_t off = 0;
    while (off < c->olen) {
        ssize_t w = send(c->fd, c->out + off, c->olen - off, MSG_NOSIGNAL);
        if (w > 0) { off += (uint32_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        conn_close(c, 1);
        return;
    }
    memmove(c->out, c->out + off, c->olen - off);
    c->olen -= off;
    if (c->olen == 0 && c->want_out) {
        c->want_out = 0;
        set_events(c, c->stalled ? 0 : (EPOLLIN | EPOLLRDHUP));
    }
}

static void send_frame(conn_t *c, uint8_t op, const void *data, size_t n) {
    uint8_t stackbuf[512];
    uint8_t *out = n + WS_MAX_HEADER <= sizeof stackbuf ? stackbuf : malloc(n + WS_MAX_HEADER);
    if (!out) die("out of memory");
    size_t fl = ws_build_client_frame(out, op, data, n, rnd32());
    conn_write(c, out, fl);
    if (out != stackbuf) free(out);
}

static const char signalr_handshake[] = "{\"protocol\":\"json\",\"version\":1}\x1e";
static const char signalr_ping[] = "{\"type\":6}\x1e";

static int is_stalled_index(uint32_t i) {
    if (opt.stall <= 0) return 0;
    uint32_t every = (uint32_t)opt.conns / (uint32_t)opt.stall;
    if (every == 0) every = 1;
    return i % every == every / 2 && i / every < (uint32_t)opt.stall;
}

static struct sockaddr_in server_addr;

static void conn_start(conn_t *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s (raise ulimit -n)", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->stalled = (uint8_t)is_stalled_index(c->idx);
    if (c->stalled && opt.stall_rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.stall_rcvbuf, sizeof opt.stall_rcvbuf);
    /* A small MSS announced in the SYN keeps the server's kernel send buffer towards this client
     * small (Linux sizes it from cwnd x MSS: about 2.7 MB with loopback's 64 KB MSS), so the
     * server's own queueing is reached within seconds, as over a real network. */
    if (c->stalled && opt.stall_mss > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &opt.stall_mss, sizeof opt.stall_mss);
    if (opt.src_ips > 0) {
        /* Spread connections over 127.0.0.1 .. 127.0.0.K so ephemeral ports do not run short. */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = 0};
        src.sin_addr.s_addr = htonl(0x7F000001u + (c->idx % (uint32_t)opt.src_ips));
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind: %s", strerror(errno));
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    c->attempts++;
    st.inflight++;
    int r = connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr);
    if (r < 0 && errno != EINPROGRESS) {
        st.connect_errors++;
        conn_close(c, 0);
        c->state = C_FREE;
        return;
    }
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) die("epoll_ctl ADD: %s", strerror(errno));
    c->want_out = 1;
}

static void send_upgrade(conn_t *c) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key[25];
    for (int i = 0; i < 21; i++) key[i] = b64[rnd32() & 63];
    key[21] = b64[(rnd32() & 3) << 4];   /* 16 random bytes: the last sextet holds 2 bits, then "==" */
    key[22] = '=';
    key[23] = '=';
    key[24] = 0;
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     opt.path, opt.host, opt.port, key,
                     opt.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
    c->state = C_UPGRADING;
    conn_write(c, (const uint8_t *)req, (size_t)n);
}

/* ---- messages ---------------------------------------------------------------------------- */

static int64_t now_us_for_batch;

/* Per published message (its ts): how many copies arrived and how late the first and the last
 * were, so a bad window can be traced to the ticks that made it. Copies of one message arrive
 * close together, so only the newest 16 entries are searched: a server so far behind that one
 * message's copies straddle more than 16 others gets a second entry for it. */
typedef struct { int64_t ts; uint64_t copies; int64_t first_us, last_us; } tick_t;
static tick_t ticks[4096];
static int nticks;

static void record_tick(int64_t ts, int64_t lat) {
    for (int i = nticks - 1; i >= 0 && i >= nticks - 16; i--) {
        if (ticks[i].ts != ts) continue;
        ticks[i].copies++;
        if (lat < ticks[i].first_us) ticks[i].first_us = lat;
        if (lat > ticks[i].last_us) ticks[i].last_us = lat;
        return;
    }
    if (nticks < (int)(sizeof ticks / sizeof *ticks)) ticks[nticks++] = (tick_t){ts, 1, lat, lat};
}

static void handle_record(conn_t *c, const char *p, size_t n) {
    int64_t ts;
    if (opt.dump > 0) {
        opt.dump--;
        fprintf(stderr, "[loadclient] conn %u message (%zu bytes): %.*s\n", c->idx, n, (int)n, p);
    }
    size_t head = n < 160 ? n : 160;   /* the type (or SignalR's target) comes first */
    if ((opt.match[0] && !memmem(p, head, opt.match, strlen(opt.match))) || !scan_ts(p, n, &ts)) {
        if (!measuring) return;
        win.other_msgs++;
        if (n >= 200) win.no_ts++;              /* a big message not recognised: the peer is wrong */
        return;
    }
    if (!measuring || c->stalled) return;
    win.msgs++;
    win.updates += opt.updates_per_msg > 0 ? (uint64_t)opt.updates_per_msg : count_codes(p, n);
    int64_t lat = now_us_for_batch - ts;
    if (lat < 0) { win.negative_lat++; lat = 0; }
    hist_record(&hist, (uint64_t)lat);
    hist_record(&slice_hist, (uint64_t)lat);
    record_tick(ts, lat);
}

static void record_cb(void *ctx, const char *rec, size_t n) {
    if (n == 0) return;
    handle_record((conn_t *)ctx, rec, n);
}

static void handle_message(conn_t *c, const uint8_t *p, size_t n) {
    if (measuring) win.bytes += n;
    if (!opt.signalr) { handle_record(c, (const char *)p, n); return; }
    /* SignalR: records end with 0x1E and may in principle straddle WebSocket messages. */
    if (c->clen == 0) {
        size_t used = split_records((const char *)p, n, record_cb, c);
        if (used < n) {
            ensure_cap(&c->carry, &c->ccap, n - used);
            memcpy(c->carry, p + used, n - used);
            c->clen = (uint32_t)(n - used);
        }
        return;
    }
    ensure_cap(&c->carry, &c->ccap, (uint64_t)c->clen + n);
    memcpy(c->carry + c->clen, p, n);
    c->clen += (uint32_t)n;
    size_t used = split_records((const char *)c->carry, c->clen, record_cb, c);
    memmove(c->carry, c->carry + used, c->clen - used);
    c->clen -= (uint32_t)used;
}

/* permessage-deflate with server_no_context_takeover (what the gateway always answers): every
 * compressed message inflates on its own, so one inflater serves all connections, reset per message. */
static z_stream inflater;
static uint8_t *inflated;
static uint32_t inflated_cap;
static uint64_t compressed_msgs;

static int inflate_message(const uint8_t *p, uint64_t n, size_t *out_len) {
    static const uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
    if (inflated_cap == 0) ensure_cap(&inflated, &inflated_cap, 1 << 16);
    if (inflateReset(&inflater) != Z_OK) return -1;
    size_t len = 0;
    for (int part = 0; part < 2; part++) {
        inflater.next_in = (Bytef *)(part == 0 ? p : tail);
        inflater.avail_in = (uInt)(part == 0 ? n : sizeof tail);
        while (inflater.avail_in > 0) {
            if (len == inflated_cap) ensure_cap(&inflated, &inflated_cap, (uint64_t)inflated_cap * 2);
            inflater.next_out = inflated + len;
            inflater.avail_out = (uInt)(inflated_cap - len);
            int r = inflate(&inflater, Z_SYNC_FLUSH);
            len = inflated_cap - inflater.avail_out;
            if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) return -1;
            if (r == Z_STREAM_END) break;
        }
    }
    *out_len = len;
    return 0;
}

static void frag_append(conn_t *c, const uint8_t *p, uint64_t n) {
    ensure_cap(&c->frag, &c->fcap, (uint64_t)c->flen + n);
    memcpy(c->frag + c->flen, p, n);
    c->flen += (uint32_t)n;
}

static void handle_frame(conn_t *c, ws_frame_t *f) {
    if (measuring) win.frames++;
    switch (f->op) {
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (c->frag_op) { st.protocol_errors++; conn_close(c, 1); return; }
        if (f->rsv1) {
            /* The gateway never fragments; a compressed fragmented message would be a surprise. */
            size_t n;
            if (!f->fin || inflate_message(f->payload, f->len, &n) != 0) { st.protocol_errors++; conn_close(c, 1); return; }
            if (measuring) { compressed_msgs++; win.bytes += f->len; win.bytes -= n; }  /* count wire bytes */
            handle_message(c, inflated, n);
            return;
        }
        if (f->fin) { handle_message(c, f->payload, f->len); return; }
        c->flen = 0;
        frag_append(c, f->payload, f->len);
        c->frag_op = f->op;
        return;
    case WS_OP_CONT:
        if (!c->frag_op) { st.protocol_errors++; conn_close(c, 1); return; }
        frag_append(c, f->payload, f->len);
        if (f->fin) {
            c->frag_op = 0;
            handle_message(c, c->frag, c->flen);
            c->flen = 0;
        }
        return;
    case WS_OP_PING:
        st.pings_answered++;
        send_frame(c, WS_OP_PONG, f->payload, f->len);
        return;
    case WS_OP_PONG:
        return;
    case WS_OP_CLOSE:
        logf_("conn %u: server closed (%llu bytes of reason)", c->idx, (unsigned long long)f->len);
        send_frame(c, WS_OP_CLOSE, f->payload, f->len < 2 ? f->len : 2);
        conn_close(c, 1);
        return;
    }
}

static void on_open(conn_t *c) {
    c->state = C_OPEN;
    st.inflight--;
    st.open++;
    if (opt.signalr) send_frame(c, WS_OP_TEXT, signalr_handshake, sizeof signalr_handshake - 1);
    if (opt.send_msg) send_frame(c, WS_OP_TEXT, opt.send_msg, strlen(opt.send_msg));
    if (c->stalled) {
        /* Never read again: the server's send queue towards this client fills up. */
        st.stalled_open++;
        c->want_out = 0;
        set_events(c, 0);
        if (c->olen) conn_flush(c);
    }
}

static void parse_frames(conn_t *c) {
    uint32_t pos = 0;
    while (c->fd >= 0 && pos < c->len) {
        ws_frame_t f;
        uint64_t need = 0;
        long r = ws_parse_frame(c->buf + pos, c->len - pos, &f, &need);
        if (r < 0) { st.protocol_errors++; conn_close(c, 1); return; }
        if (r == 0) {
            if (need > c->cap) {
                memmove(c->buf, c->buf + pos, c->len - pos);
                c->len -= pos;
                pos = 0;
                ensure_cap(&c->buf, &c->cap, need);
            }
            break;
        }
        handle_frame(c, &f);
        pos += (uint32_t)r;
    }
    if (c->fd < 0) return;
    if (pos) {
        memmove(c->buf, c->buf + pos, c->len - pos);
        c->len -= pos;
    }
}

static void on_readable(conn_t *c) {
    for (;;) {
        if (c->len == c->cap) ensure_cap(&c->buf, &c->cap, (uint64_t)c->cap * 2);
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            conn_close(c, 1);
            return;
        }
        if (r == 0) { conn_close(c, 1); return; }
        now_us_for_batch = realtime_us();
        c->len += (uint32_t)r;
        if (c->state == C_UPGRADING) {
            long hl = ws_check_upgrade_response((const char *)c->buf, c->len);
            if (hl == 0) continue;
            if (hl < 0) {
                st.upgrade_errors++;
                if (st.upgrade_errors <= 3) {
                    c->buf[c->len < 200 ? c->len : 200] = 0;
                    fprintf(stderr, "loadclient: upgrade refused: %s\n", (char *)c->buf);
                }
                conn_close(c, 0);
                return;
            }
            memmove(c->buf, c->buf + hl, c->len - (uint32_t)hl);
            c->len -= (uint32_t)hl;
            on_open(c);
            if (c->stalled) return;
        }
        parse_frames(c);
        if (c->fd < 0) return;
        if (c->len < c->cap) return;   /* buffer not filled: the socket is drained (level-triggered) */
    }
}

static void on_event(conn_t *c, uint32_t ev) {
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err || (ev & (EPOLLERR | EPOLLHUP))) {
            st.connect_errors++;
            conn_close(c, 0);
            c->state = C_FREE;                    /* retried by the ramp */
            return;
        }
        c->want_out = 0;
        set_events(c, EPOLLIN | EPOLLRDHUP);
        ensure_cap(&c->buf, &c->cap, 8192);
        send_upgrade(c);
        return;
    }
    if (ev & EPOLLOUT) {
        conn_flush(c);
        if (c->fd < 0) return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
}

/* ---- main -------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int s) { (void)s; stop_flag = 1; }

static void usage(void) {
    fprintf(stderr,
        "usage: loadclient [options]\n"
        "  --host H             server address (127.0.0.1)\n"
        "  --port P             server port (8000)\n"
        "  --path PATH          WebSocket path (/ws/stock/prices)\n"
        "  --conns N            connections to hold (1000)\n"
        "  --src-ips K          bind source addresses 127.0.0.1..127.0.0.K (0: let the kernel pick)\n"
        "  --concurrency C      connection attempts in flight at once (200)\n"
        "  --connect-timeout S  give up connecting after S seconds and measure what is open (120)\n"
        "  --warmup S           seconds after the last connection before measuring (5)\n"
        "  --duration S         measured window in seconds (20)\n"
        "  --server-pid PID     sample /proc/PID for CPU time and VmRSS\n"
        "  --send JSON          text message to send after the upgrade (e.g. a subscribe)\n"
        "  --signalr            speak SignalR's JSON protocol (handshake, 0x1E records, pings)\n"
        "  --stall K            K connections never read after the upgrade (head-of-line test)\n"
        "  --stall-rcvbuf B     SO_RCVBUF of stalled connections (4096)\n"
        "  --stall-mss M        TCP_MAXSEG announced by stalled connections (536; 0: loopback's)\n"
        "  --updates-per-msg U  count U updates per message instead of counting \"code\" keys\n"
        "  --expect-interval-ms I  publish interval, to report the share of messages delivered\n"
        "  --label TEXT         copied into the JSON result\n"
        "  --server-core C      report how busy core C was, and with what besides the server\n"
        "  --client-core C      the same for the load client's core\n"
        "  --match TEXT         a price message has TEXT in its first 160 bytes (price_update; '' = any)\n"
        "  --dump N             print the first N messages received to stderr\n"
        "  --deflate            offer permessage-deflate; inflate compressed messages (bytes_per_s counts wire bytes)\n"
        "  -v                   progress on stderr\n");
    exit(2);
}

static void close_slice(void) {
    if (slice_hist.total > 0 && slices < (int)(sizeof slice_p99 / sizeof *slice_p99))
        slice_p99[slices++] = hist_quantile(&slice_hist, 0.99);
    hist_reset(&slice_hist);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    client_name = "loadclient";
    static struct option lo[] = {
        {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"path", 1, 0, 'P'}, {"conns", 1, 0, 'n'},
        {"src-ips", 1, 0, 's'}, {"concurrency", 1, 0, 'c'}, {"connect-timeout", 1, 0, 'T'},
        {"warmup", 1, 0, 'w'}, {"duration", 1, 0, 'd'}, {"server-pid", 1, 0, 'S'},
        {"send", 1, 0, 'm'}, {"signalr", 0, 0, 'R'}, {"stall", 1, 0, 'k'},
        {"stall-rcvbuf", 1, 0, 'b'}, {"stall-mss", 1, 0, 'x'}, {"updates-per-msg", 1, 0, 'u'},
        {"expect-interval-ms", 1, 0, 'i'}, {"label", 1, 0, 'l'}, {"dump", 1, 0, 'D'}, {"match", 1, 0, 'M'}, {"server-core", 1, 0, 'C'}, {"client-core", 1, 0, 'c' + 256}, {"deflate", 0, 0, 'z'}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
        switch (ch) {
        case 'H': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'P': opt.path = optarg; break;
        case 'n': opt.conns = atoi(optarg); break;
        case 's': opt.src_ips = atoi(optarg); break;
        case 'c': opt.concurrency = atoi(optarg); break;
        case 'T': opt.connect_timeout = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'S': opt.server_pid = atoi(optarg); break;
        case 'm': opt.send_msg = optarg; break;
        case 'R': opt.signalr = 1; break;
        case 'k': opt.stall = atoi(optarg); break;
        case 'b': opt.stall_rcvbuf = atoi(optarg); break;
        case 'x': opt.stall_mss = atoi(optarg); break;
        case 'u': opt.updates_per_msg = atoi(optarg); break;
        case 'i': opt.expect_interval_ms = atoi(optarg); break;
        case 'l': opt.label = optarg; break;
        case 'M': opt.match = optarg; break;
        case 'C': opt.server_core = atoi(optarg); break;
        case 'c' + 256: opt.client_core = atoi(optarg); break;
        case 'D': opt.dump = atoi(optarg); break;
        case 'z': opt.deflate = 1; break;
        case 'v': opt.verbose = client_verbose = 1; break;
        default: usage();
        }
    }
    if (opt.conns <= 0 || opt.duration <= 0) usage();
    if (opt.deflate) {
        ws_allow_rsv1 = 1;
        if (inflateInit2(&inflater, -15) != Z_OK) die("zlib inflateInit2 failed");
    }

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t want = (rlim_t)opt.conns + 64;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < want)
            die("need %llu file descriptors, hard limit is %llu", (unsigned long long)want,
                (unsigned long long)rl.rlim_max);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rng_state ^= (uint64_t)realtime_us() * 0x2545F4914F6CDD1Dull;

    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) die("bad --host %s", opt.host);

    conns = calloc((size_t)opt.conns, sizeof *conns);
    if (!conns) die("out of memory");
    for (int i = 0; i < opt.conns; i++) { conns[i].fd = -1; conns[i].idx = (uint32_t)i; }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    hist_reset(&hist);

    proc_sample_t base = sample_proc(opt.server_pid);
    if (opt.server_pid > 0 && !base.ok) die("cannot read /proc/%d", opt.server_pid);

    double t0 = mono_s();
    double t_connected = 0, t_measure = 0, t_end = 0;
    int next_slot = 0;
    int retry_pass = 0;
    double next_ping = t0 + 10;
    double next_slice = 0;
    proc_sample_t connected = {0, 0, 0}, m0 = {0, 0, 0}, m1 = {0, 0, 0};
    double self0 = 0, self1 = 0, wall0 = 0, wall1 = 0;
    double score0 = 0, score1 = 0, ccore0 = 0, ccore1 = 0;
    uint64_t closed_at_measure = 0;
    struct epoll_event evs[1024];

    logf_("connecting %d to %s:%d%s", opt.conns, opt.host, opt.port, opt.path);
    while (!stop_flag) {
        double now = mono_s();
        /* ramp: start connections while fewer than --concurrency are in flight */
        if (t_connected == 0) {
            while (st.inflight < opt.concurrency && next_slot < opt.conns) {
                conn_t *c = &conns[next_slot++];
                if (c->state == C_FREE) conn_start(c);
            }
            if (next_slot >= opt.conns && st.inflight == 0) {
                /* one retry pass for slots that failed to connect or upgrade */
                int free_slots = 0;
                for (int i = 0; i < opt.conns; i++)
                    if (conns[i].state == C_FREE || (conns[i].state == C_CLOSED && conns[i].attempts < 3)) {
                        conns[i].state = C_FREE;
                        free_slots++;
                    }
                if (free_slots && retry_pass < 3) { retry_pass++; next_slot = 0; }
                else t_connected = now;
            }
            if (now - t0 > opt.connect_timeout) t_connected = now;
            if (t_connected) {
                connected = sample_proc(opt.server_pid);
                logf_("%d open after %.1f s (%llu connect errors, %llu upgrade errors)", st.open,
                      t_connected - t0, (unsigned long long)st.connect_errors,
                      (unsigned long long)st.upgrade_errors);
            }
        } else if (t_measure == 0 && now - t_connected >= opt.warmup) {
            t_measure = now;
            memset(&win, 0, sizeof win);
            hist_reset(&hist);
            hist_reset(&slice_hist);
            slices = 0;
            nticks = 0;
            next_slice = now + 1.0;
            closed_at_measure = st.closed;
            m0 = sample_proc(opt.server_pid);
            self0 = self_cpu_s();
            score0 = core_busy_s(opt.server_core);
            ccore0 = core_busy_s(opt.client_core);
            wall0 = mono_s();
            measuring = 1;
            logf_("measuring for %.0f s", opt.duration);
        } else if (t_measure && now - t_measure >= opt.duration) {
            measuring = 0;
            close_slice();
            wall1 = mono_s();
            self1 = self_cpu_s();
            score1 = core_busy_s(opt.server_core);
            ccore1 = core_busy_s(opt.client_core);
            m1 = sample_proc(opt.server_pid);
            t_end = now;
            break;
        }
        if (measuring && now >= next_slice) {
            close_slice();
            next_slice += 1.0;
        }
        if (opt.signalr && now >= next_ping) {
            /* keep SignalR's 30 s client timeout happy */
            for (int i = 0; i < opt.conns; i++)
                if (conns[i].state == C_OPEN && !conns[i].stalled)
                    send_frame(&conns[i], WS_OP_TEXT, signalr_ping, sizeof signalr_ping - 1);
            next_ping = now + 10;
        }
        int n = epoll_wait(epfd, evs, 1024, 50);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (c->fd < 0) continue;
            on_event(c, evs[i].events);
        }
    }
    if (stop_flag && !t_end) die("interrupted");

    /* how much the server managed to push at the stalled clients before it stopped (or blocked) */
    long long stalled_unread = 0;
    for (int i = 0; i < opt.conns; i++) {
        int q = 0;
        if (conns[i].stalled && conns[i].state == C_OPEN && ioctl(conns[i].fd, FIONREAD, &q) == 0) stalled_unread += q;
    }
    double window = wall1 - wall0;
    double server_cpu = (m1.ok && m0.ok) ? m1.cpu_s - m0.cpu_s : -1;
    int open_now = st.open;
    FILE *o = stdout;
    fprintf(o, "{\"label\":");
    json_str(o, opt.label);
    fprintf(o, ",\"conns_target\":%d,\"conns_open\":%d,\"conns_open_at_start\":%d", opt.conns, open_now,
            open_now + (int)(st.closed - closed_at_measure));
    fprintf(o, ",\"connect_errors\":%llu,\"upgrade_errors\":%llu,\"closed\":%llu,\"closed_in_window\":%llu",
            (unsigned long long)st.connect_errors, (unsigned long long)st.upgrade_errors,
            (unsigned long long)st.closed, (unsigned long long)(st.closed - closed_at_measure));
    fprintf(o, ",\"protocol_errors\":%llu,\"stalled\":%d,\"stalled_unread_bytes\":%lld,\"signalr\":%s",
            (unsigned long long)st.protocol_errors, st.stalled_open, stalled_unread, opt.signalr ? "true" : "false");
    fprintf(o, ",\"deflate\":%s,\"compressed_msgs\":%llu", opt.deflate ? "true" : "false", (unsigned long long)compressed_msgs);
    fprintf(o, ",\"connect_s\":%.2f,\"warmup_s\":%.1f,\"window_s\":%.2f", t_connected - t0, opt.warmup, window);
    fprintf(o, ",\"msgs\":%llu,\"msgs_per_s\":%.1f,\"updates\":%llu,\"updates_per_s\":%.1f",
            (unsigned long long)win.msgs, (double)win.msgs / window, (unsigned long long)win.updates,
            (double)win.updates / window);
    fprintf(o, ",\"bytes_per_s\":%.0f,\"other_msgs\":%llu,\"msgs_without_ts\":%llu,\"pings_answered\":%llu",
            (double)win.bytes / window, (unsigned long long)win.other_msgs, (unsigned long long)win.no_ts,
            (unsigned long long)st.pings_answered);
    if (opt.expect_interval_ms > 0) {
        double expected = (double)(open_now - st.stalled_open) * window * 1000.0 / opt.expect_interval_ms;
        fprintf(o, ",\"expected_msgs\":%.0f,\"delivery_ratio\":%.4f", expected,
                expected > 0 ? (double)win.msgs / expected : 0.0);
    }
    fprintf(o, ",\"lat_us\":{\"count\":%llu,\"min\":%llu,\"mean\":%.1f,\"p50\":%llu,\"p90\":%llu,"
               "\"p99\":%llu,\"p999\":%llu,\"max\":%llu},\"negative_lat\":%llu",
            (unsigned long long)hist.total, (unsigned long long)(hist.total ? hist.min : 0),
            hist.total ? hist.sum / (double)hist.total : 0.0,
            (unsigned long long)hist_quantile(&hist, 0.50), (unsigned long long)hist_quantile(&hist, 0.90),
            (unsigned long long)hist_quantile(&hist, 0.99), (unsigned long long)hist_quantile(&hist, 0.999),
            (unsigned long long)hist.max, (unsigned long long)win.negative_lat);
    qsort(slice_p99, (size_t)slices, sizeof *slice_p99, cmp_u64);
    fprintf(o, ",\"slices\":%d,\"p99_slice_median_us\":%llu,\"p99_slice_max_us\":%llu", slices,
            (unsigned long long)(slices ? slice_p99[slices / 2] : 0),
            (unsigned long long)(slices ? slice_p99[slices - 1] : 0));
    fprintf(o, ",\"ticks\":[");
    for (int i = 0; i < nticks; i++)
        fprintf(o, "%s{\"ts\":%lld,\"copies\":%llu,\"first_us\":%lld,\"last_us\":%lld}", i ? "," : "",
                (long long)ticks[i].ts, (unsigned long long)ticks[i].copies, (long long)ticks[i].first_us,
                (long long)ticks[i].last_us);
    fprintf(o, "]");
    if (opt.server_pid > 0) {
        long rss_delta = m1.rss_kib - base.rss_kib;
        fprintf(o, ",\"server_pid\":%d,\"server_cpu_s\":%.3f,\"server_cpu_pct\":%.1f", opt.server_pid,
                server_cpu, 100.0 * server_cpu / window);
        if (win.msgs > 0)
            fprintf(o, ",\"server_cpu_us_per_msg\":%.2f", server_cpu * 1e6 / (double)win.msgs);
        else
            fprintf(o, ",\"server_cpu_us_per_msg\":null");
        fprintf(o, ",\"server_rss_base_kib\":%ld,\"server_rss_connected_kib\":%ld,\"server_rss_end_kib\":%ld",
                base.rss_kib, connected.rss_kib, m1.rss_kib);
        fprintf(o, ",\"rss_per_conn_kib\":%.2f", open_now > 0 ? (double)rss_delta / open_now : 0.0);
    }
    /* what else ran on the two cores during the window: the noise of a shared machine */
    if (opt.server_core >= 0)
        fprintf(o, ",\"server_core_busy_pct\":%.1f,\"server_core_others_pct\":%.1f",
                100.0 * (score1 - score0) / window,
                100.0 * ((score1 - score0) - (server_cpu > 0 ? server_cpu : 0)) / window);
    if (opt.client_core >= 0)
        fprintf(o, ",\"client_core_busy_pct\":%.1f,\"client_core_others_pct\":%.1f",
                100.0 * (ccore1 - ccore0) / window, 100.0 * ((ccore1 - ccore0) - (self1 - self0)) / window);
    fprintf(o, ",\"client_cpu_s\":%.3f,\"client_cpu_pct\":%.1f}\n", self1 - self0,
            100.0 * (self1 - self0) / window);
    fflush(o);
    (void)t_end;
    return 0;
}
