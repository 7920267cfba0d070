/* HTTP/1.1 load client for the REST signal list.
 *
 * N keep-alive connections with epoll and non-blocking sockets.
 *   open loop (--rate R): request i is due at start + i/R whatever the answers do; a due request
 *     goes out on an idle connection at once, or waits in the client for the first connection to
 *     free up; its latency runs from the due time to the end of its response (as wrk2 does, so a
 *     stalled server is not hidden by a client that waits for it).
 *   closed loop (no --rate): every connection sends its next request when the answer to the last
 *     has arrived; latency from the send. One connection is the sequential run.
 * Responses are framed by Content-Length or chunked encoding and never inflated (--gzip only asks
 * for gzip), so the client's core goes to the sockets. It prints one line of JSON: latency
 * percentiles (us), requests/s, errors, the server's CPU over the window and its own CPU share.
 */
#define _GNU_SOURCE
#include "hist.h"
#include "httpresp.h"
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum conn_state { CS_DOWN, CS_CONNECTING, CS_IDLE, CS_BUSY };

typedef struct {
    int fd;
    uint8_t state;
    uint8_t want_out;
    uint32_t out_off;      /* request bytes written so far */
    int64_t req;           /* the request in flight */
    int64_t sent_ns;
    http_resp_t resp;
} conn_t;

static struct {
    const char *host;
    int port;
    const char *path;
    int conns;
    double rate;
    double duration;
    long requests;
    long warmup;
    int gzip;
    double timeout;
    const char *label;
    const char *timeline;
    int server_pid, server_core, client_core;
    int verbose;
} opt = {
    .host = "127.0.0.1", .port = 8000, .path = "/api/stocks/signal/buy", .conns = 1, .rate = 0,
    .duration = 10, .requests = 0, .warmup = 100, .gzip = 0, .timeout = 10, .label = "", .timeline = NULL,
    .server_pid = 0, .server_core = -1, .client_core = -1, .verbose = 0,
};

static conn_t *conns;
static conn_t **idle;
static int idle_n;
static int epfd;
static struct sockaddr_in server_addr;
static char request[1024];
static size_t request_len;
static uint8_t rbuf[1 << 18];
static volatile sig_atomic_t stop_flag;

/* per request (warm-up first, then the measured ones) */
static long total, first;   /* first: index of the first measured request */
static int64_t *lat_ns;    /* -1: failed */
static uint16_t *status_of;
static int64_t *due_of;    /* open loop: due time; closed loop: send time */

static long scheduled, dispatched, done, waited_for_conn, reconnects, errors_conn, errors_timeout, errors_proto;
static uint64_t body_bytes, gzip_responses;
static hist_t hist, lag_hist;
static int64_t start_ns, period_ns;

static int64_t mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t real_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void set_events(conn_t *c, int out) {
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_out = (uint8_t)out;
}

static void conn_open(conn_t *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_out = 1;
    c->state = CS_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS)
        die("connect: %s", strerror(errno));
}

static void conn_close(conn_t *c) {
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = CS_DOWN;
}

static void make_idle(conn_t *c) {
    c->state = CS_IDLE;
    c->req = -1;
    idle[idle_n++] = c;
}

static void finish(long i, int64_t now, int status) {
    lat_ns[i] = status ? now - due_of[i] : -1;
    status_of[i] = (uint16_t)status;
    done++;
    if (i >= first && status) hist_record(&hist, (uint64_t)(lat_ns[i] / 1000));
}

/* The connection broke (or answered nonsense, or too late): its request failed; open a new one. */
static void conn_fail(conn_t *c, int64_t now, long *counter) {
    if (c->state == CS_BUSY) {
        finish(c->req, now, 0);
        (*counter)++;
    } else if (c->state == CS_CONNECTING) {
        (*counter)++;
    }
    conn_close(c);
    reconnects++;
    conn_open(c);
}

static void write_request(conn_t *c, int64_t now) {
    while (c->out_off < request_len) {
        ssize_t w = send(c->fd, request + c->out_off, request_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) { if (!c->want_out) set_events(c, 1); return; }
            conn_fail(c, now, &errors_conn);
            return;
        }
        c->out_off += (uint32_t)w;
    }
    if (c->want_out) set_events(c, 0);
}

static void send_request(conn_t *c, long i, int64_t now) {
    c->state = CS_BUSY;
    c->req = i;
    c->sent_ns = now;
    c->out_off = 0;
    http_resp_reset(&c->resp);
    write_request(c, now);
}

static void on_readable(conn_t *c) {
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
        int64_t now = mono_ns();
        if (n < 0) {
            if (errno == EAGAIN) return;
            conn_fail(c, now, &errors_conn);
            return;
        }
        if (n == 0 || c->state != CS_BUSY) {
            /* closed by the server, or bytes nobody asked for */
            if (n > 0) errors_proto++;
            conn_fail(c, now, &errors_conn);
            return;
        }
        long used = http_resp_feed(&c->resp, rbuf, (size_t)n);
        if (used < 0 || (c->resp.state == HR_DONE && used < n)) {
            conn_fail(c, now, &errors_proto);
            return;
        }
        if (c->resp.state == HR_DONE) {
            body_bytes += c->resp.body_bytes;
            gzip_responses += (uint64_t)c->resp.gzip;
            finish(c->req, now, c->resp.status);
            if (c->resp.close) {
                conn_close(c);
                reconnects++;
                conn_open(c);
            } else {
                make_idle(c);
            }
            return;
        }
    }
}

static void on_event(conn_t *c, uint32_t events) {
    int64_t now = mono_ns();
    if (c->state == CS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            conn_close(c);
            errors_conn++;
            if (errors_conn > 1000) die("cannot connect to %s:%d: %s", opt.host, opt.port, strerror(err));
            reconnects++;
            conn_open(c);
            return;
        }
        set_events(c, 0);
        make_idle(c);
        return;
    }
    if ((events & EPOLLOUT) && c->state == CS_BUSY) write_request(c, now);
    if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
}

static void check_timeouts(int64_t now) {
    int64_t limit = (int64_t)(opt.timeout * 1e9);
    for (int k = 0; k < opt.conns; k++) {
        conn_t *c = &conns[k];
        if (c->state == CS_BUSY && now - c->sent_ns > limit) conn_fail(c, now, &errors_timeout);
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs requests [from, to) to completion: in open loop at their due times, else back to back. */
static void run(long from, long to, int open_loop) {
    struct epoll_event evs[1024];
    int64_t next_timeout_check = mono_ns() + 100000000;
    scheduled = dispatched = from;
    while (done < to && !stop_flag) {
        int64_t now = mono_ns();
        if (open_loop) {
            while (scheduled < to && start_ns + scheduled * period_ns <= now) {
                due_of[scheduled] = start_ns + scheduled * period_ns;
                if (scheduled >= first) {
                    hist_record(&lag_hist, (uint64_t)((now - due_of[scheduled]) / 1000));
                    /* more requests pending than idle connections: this one waits for an answer */
                    if (scheduled - dispatched >= idle_n) waited_for_conn++;
                }
                scheduled++;
            }
        } else {
            scheduled = to;
        }
        while (dispatched < scheduled && idle_n > 0) {
            conn_t *c = idle[--idle_n];
            if (!open_loop) due_of[dispatched] = now;
            send_request(c, dispatched++, now);
        }
        if (now >= next_timeout_check) {
            check_timeouts(now);
            next_timeout_check = now + 100000000;
        }
        int64_t wait = 100000000;
        if (open_loop && scheduled < to) {
            int64_t until = start_ns + scheduled * period_ns - now;
            if (until < wait) wait = until < 0 ? 0 : until;
        }
        struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
        int n = epoll_pwait2(epfd, evs, 1024, &ts, NULL);
        if (n < 0 && errno != EINTR) die("epoll_pwait2: %s", strerror(errno));
        for (int k = 0; k < n; k++) {
            conn_t *c = evs[k].data.ptr;
            if (c->fd >= 0) on_event(c, evs[k].events);
        }
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: restclient [options]\n"
            "  --host 127.0.0.1 --port 8000 --path /api/stocks/signal/buy\n"
            "  --conns N            keep-alive connections (1)\n"
            "  --rate R             open loop at R requests/s (without: closed loop)\n"
            "  --duration S         open loop: measured seconds (10)\n"
            "  --requests N         measured requests (closed loop: 1000; open loop: rate x duration)\n"
            "  --warmup N           requests after one per connection and before the measured ones, not counted (100)\n"
            "  --gzip               send Accept-Encoding: gzip (the body is framed, never inflated)\n"
            "  --timeout S          a request without its answer after S seconds fails (10)\n"
            "  --timeline FILE      one line per measured request: index, due time (epoch us), latency us, status\n"
            "  --server-pid PID --server-core C --client-core C   CPU over the window from /proc\n"
            "  --label TEXT -v\n");
    exit(2);
}

int main(int argc, char **argv) {
    client_name = "restclient";
    static struct option lo[] = {
        {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"path", 1, 0, 'P'}, {"conns", 1, 0, 'n'},
        {"rate", 1, 0, 'r'}, {"duration", 1, 0, 'd'}, {"requests", 1, 0, 'N'}, {"warmup", 1, 0, 'w'},
        {"gzip", 0, 0, 'z'}, {"timeout", 1, 0, 't'}, {"label", 1, 0, 'l'}, {"timeline", 1, 0, 'L'},
        {"server-pid", 1, 0, 'S'}, {"server-core", 1, 0, 'C'}, {"client-core", 1, 0, 'c'},
        {"verbose", 0, 0, 'v'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
        switch (ch) {
        case 'H': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'P': opt.path = optarg; break;
        case 'n': opt.conns = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'N': opt.requests = atol(optarg); break;
        case 'w': opt.warmup = atol(optarg); break;
        case 'z': opt.gzip = 1; break;
        case 't': opt.timeout = atof(optarg); break;
        case 'l': opt.label = optarg; break;
        case 'L': opt.timeline = optarg; break;
        case 'S': opt.server_pid = atoi(optarg); break;
        case 'C': opt.server_core = atoi(optarg); break;
        case 'c': opt.client_core = atoi(optarg); break;
        case 'v': opt.verbose = client_verbose = 1; break;
        default: usage();
        }
    }
    int open_loop = opt.rate > 0;
    if (opt.conns <= 0 || opt.conns > 60000 || opt.rate < 0 || opt.warmup < 0 || opt.timeout <= 0) usage();
    if (opt.requests <= 0) opt.requests = open_loop ? (long)(opt.rate * opt.duration + 0.5) : 1000;
    if (opt.requests <= 0) usage();
    /* one request per connection, then the warm-up, then the measured ones */
    first = opt.conns + opt.warmup;
    total = first + opt.requests;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) die("bad --host %s (an IPv4 address)", opt.host);
    request_len = (size_t)snprintf(request, sizeof request,
                                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: restclient\r\n"
                                   "Accept: application/json\r\n%s\r\n",
                                   opt.path, opt.host, opt.port, opt.gzip ? "Accept-Encoding: gzip\r\n" : "");
    if (request_len >= sizeof request) die("--path too long");

    conns = calloc((size_t)opt.conns, sizeof *conns);
    idle = calloc((size_t)opt.conns, sizeof *idle);
    lat_ns = calloc((size_t)total, sizeof *lat_ns);
    status_of = calloc((size_t)total, sizeof *status_of);
    due_of = calloc((size_t)total, sizeof *due_of);
    if (!conns || !idle || !lat_ns || !status_of || !due_of) die("out of memory");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    hist_reset(&hist);
    hist_reset(&lag_hist);

    /* connect everything, then one request on every connection (not counted) so that the server
     * has accepted and warmed each of them before the clock starts */
    for (int k = 0; k < opt.conns; k++) { conns[k].fd = -1; conn_open(&conns[k]); }
    struct epoll_event evs[1024];
    int64_t t0 = mono_ns();
    while (idle_n < opt.conns && !stop_flag) {
        if (mono_ns() - t0 > (int64_t)(opt.timeout * 1e9)) die("only %d of %d connections open after %.0f s", idle_n, opt.conns, opt.timeout);
        int n = epoll_wait(epfd, evs, 1024, 100);
        for (int k = 0; k < n; k++) on_event(evs[k].data.ptr, evs[k].events);
    }
    logf_("%d connections open after %.1f ms", opt.conns, (double)(mono_ns() - t0) / 1e6);
    run(0, opt.conns, 0);
    /* the warm-up runs as the measurement will, at the same rate; request i is due at start + i/rate */
    period_ns = open_loop ? (int64_t)(1e9 / opt.rate) : 0;
    start_ns = mono_ns() + 1000000 - opt.conns * period_ns;
    run(opt.conns, first, open_loop);

    int64_t real_off = real_ns() - mono_ns();
    proc_sample_t s0 = sample_proc(opt.server_pid);
    double self0 = self_cpu_s(), score0 = core_busy_s(opt.server_core), ccore0 = core_busy_s(opt.client_core);
    int64_t w0 = mono_ns();
    if (open_loop && start_ns + first * period_ns > w0) w0 = start_ns + first * period_ns;
    hist_reset(&lag_hist);
    waited_for_conn = 0;
    run(first, total, open_loop);
    int64_t w1 = mono_ns();
    double self1 = self_cpu_s(), score1 = core_busy_s(opt.server_core), ccore1 = core_busy_s(opt.client_core);
    proc_sample_t s1 = sample_proc(opt.server_pid);
    if (stop_flag) die("interrupted");

    double window = (double)(w1 - w0) / 1e9;
    long ok = 0, failed = 0;
    long status_counts[6] = {0};
    for (long i = first; i < total; i++) {
        if (status_of[i] >= 200 && status_of[i] < 300) ok++;
        if (status_of[i] == 0) failed++;
        else if (status_of[i] / 100 < 6) status_counts[status_of[i] / 100]++;
    }
    /* p99 of each 1 s of due times: one hiccup of a shared machine moves one slice, not all */
    int64_t *slice = malloc((size_t)opt.requests * sizeof *slice);
    int64_t *slice_p99 = malloc(((size_t)opt.requests / 10 + 1) * sizeof *slice_p99);
    int slices = 0;
    if (open_loop && slice && slice_p99) {
        long i = first;
        while (i < total) {
            int64_t end = due_of[i] + 1000000000;
            long m = 0;
            for (; i < total && due_of[i] < end; i++)
                if (lat_ns[i] >= 0) slice[m++] = lat_ns[i];
            if (m >= 10) {
                qsort(slice, (size_t)m, sizeof *slice, cmp_i64);
                slice_p99[slices++] = slice[(m * 99 + 99) / 100 - 1];
            }
        }
        qsort(slice_p99, (size_t)slices, sizeof *slice_p99, cmp_i64);
    }
    if (opt.timeline) {
        FILE *t = fopen(opt.timeline, "w");
        if (!t) die("cannot write %s: %s", opt.timeline, strerror(errno));
        for (long i = first; i < total; i++)
            fprintf(t, "%ld %lld %lld %u\n", i - first, (long long)((due_of[i] + real_off) / 1000),
                    (long long)(lat_ns[i] >= 0 ? lat_ns[i] / 1000 : -1), status_of[i]);
        fclose(t);
    }

    FILE *o = stdout;
    fprintf(o, "{\"label\":");
    json_str(o, opt.label);
    fprintf(o, ",\"tool\":\"restclient\",\"mode\":\"%s\",\"url\":\"http://%s:%d",
            open_loop ? "open-loop" : opt.conns == 1 ? "sequential" : "closed-loop", opt.host, opt.port);
    fprintf(o, "\",\"path\":");
    json_str(o, opt.path);
    fprintf(o, ",\"gzip\":%s,\"connections\":%d,\"target_rate\":%g,\"requests\":%ld,\"warmup\":%ld",
            opt.gzip ? "true" : "false", opt.conns, opt.rate, opt.requests, opt.warmup);
    fprintf(o, ",\"ok\":%ld,\"errors\":%ld,\"failed\":%ld,\"errors_connect\":%ld,\"errors_timeout\":%ld,\"errors_protocol\":%ld",
            ok, opt.requests - ok, failed, errors_conn, errors_timeout, errors_proto);
    fprintf(o, ",\"status\":{\"2xx\":%ld,\"3xx\":%ld,\"4xx\":%ld,\"5xx\":%ld},\"reconnects\":%ld",
            status_counts[2], status_counts[3], status_counts[4], status_counts[5], reconnects);
    fprintf(o, ",\"mean_body_bytes\":%.0f,\"gzip_responses\":%llu", done ? (double)body_bytes / (double)done : 0.0,
            (unsigned long long)gzip_responses);
    fprintf(o, ",\"window_s\":%.3f,\"requests_per_s\":%.1f", window, (double)opt.requests / window);
    fprintf(o, ",\"lat_us\":{\"count\":%llu,\"min\":%llu,\"mean\":%.1f,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu}",
            (unsigned long long)hist.total, (unsigned long long)(hist.total ? hist.min : 0),
            hist.total ? hist.sum / (double)hist.total : 0.0, (unsigned long long)hist_quantile(&hist, 0.50),
            (unsigned long long)hist_quantile(&hist, 0.90), (unsigned long long)hist_quantile(&hist, 0.99),
            (unsigned long long)hist_quantile(&hist, 0.999), (unsigned long long)hist.max);
    if (open_loop) {
        /* how late the client noticed a due request (its own timer and loop), and how many found
         * every connection busy (the server's doing: each waited for an answer to come back) */
        fprintf(o, ",\"client_lag_us\":{\"p50\":%llu,\"p99\":%llu,\"max\":%llu},\"waited_for_connection\":%ld",
                (unsigned long long)hist_quantile(&lag_hist, 0.50), (unsigned long long)hist_quantile(&lag_hist, 0.99),
                (unsigned long long)lag_hist.max, waited_for_conn);
        fprintf(o, ",\"slices\":%d,\"p99_slice_median_us\":%lld,\"p99_slice_max_us\":%lld", slices,
                (long long)(slices ? slice_p99[slices / 2] / 1000 : 0), (long long)(slices ? slice_p99[slices - 1] / 1000 : 0));
    }
    if (opt.server_pid > 0 && s0.ok && s1.ok)
        fprintf(o, ",\"server_pid\":%d,\"server_cpu_s\":%.2f,\"server_cpu_pct\":%.1f,\"server_rss_kib\":%ld",
                opt.server_pid, s1.cpu_s - s0.cpu_s, 100.0 * (s1.cpu_s - s0.cpu_s) / window, s1.rss_kib);
    if (opt.server_core >= 0)
        fprintf(o, ",\"server_core_busy_pct\":%.1f,\"server_core_others_pct\":%.1f", 100.0 * (score1 - score0) / window,
                100.0 * ((score1 - score0) - (s0.ok && s1.ok ? s1.cpu_s - s0.cpu_s : 0)) / window);
    if (opt.client_core >= 0)
        fprintf(o, ",\"client_core_busy_pct\":%.1f,\"client_core_others_pct\":%.1f", 100.0 * (ccore1 - ccore0) / window,
                100.0 * ((ccore1 - ccore0) - (self1 - self0)) / window);
    fprintf(o, ",\"client_cpu_s\":%.3f,\"client_cpu_pct\":%.1f}\n", self1 - self0, 100.0 * (self1 - self0) / window);
    free(slice);
    free(slice_p99);
    return ok == 0 ? 1 : 0;
}
