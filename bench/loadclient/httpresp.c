#include "httpresp.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_resp_reset(http_resp_t *r) {
    r->state = HR_HEAD;
    r->line_len = 0;
    r->status = 0;
    r->chunked = r->gzip = r->close = 0;
    r->content_length = -1;
    r->remaining = 0;
    r->body_bytes = 0;
}

/* Does the comma-separated header value v (length n) hold token tok? */
static int has_token(const char *v, size_t n, const char *tok) {
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ';') i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0) return 1;
        while (i < n && v[i] != ',') i++;
    }
    return 0;
}

/* Status line and headers, line_len bytes ending in CRLF CRLF. */
static int parse_head(http_resp_t *r) {
    const char *p = r->line, *end = r->line + r->line_len;
    if (r->line_len < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') return -1;
    if (!isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11])) return -1;
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (p[7] == '0') r->close = 1;           /* HTTP/1.0 closes unless told otherwise */
    const char *line = memchr(p, '\n', (size_t)(end - p));
    if (!line) return -1;
    line++;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) return -1;
        size_t len = (size_t)(eol - line);
        if (len > 0 && line[len - 1] == '\r') len--;
        if (len == 0) break;                 /* the blank line */
        const char *colon = memchr(line, ':', len);
        if (!colon) return -1;
        size_t nl = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vl = len - nl - 1;
        while (vl > 0 && (*v == ' ' || *v == '\t')) { v++; vl--; }
        if (nl == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
            if (vl == 0) return -1;
            int64_t cl = 0;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] == ' ' || v[i] == '\t') break;
                if (!isdigit((unsigned char)v[i]) || cl > (INT64_MAX - 9) / 10) return -1;
                cl = cl * 10 + (v[i] - '0');
            }
            if (r->content_length >= 0 && r->content_length != cl) return -1;
            r->content_length = cl;
        } else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
            if (has_token(v, vl, "chunked")) r->chunked = 1;
        } else if (nl == 16 && strncasecmp(line, "Content-Encoding", 16) == 0) {
            if (has_token(v, vl, "gzip")) r->gzip = 1;
        } else if (nl == 10 && strncasecmp(line, "Connection", 10) == 0) {
            if (has_token(v, vl, "close")) r->close = 1;
            if (has_token(v, vl, "keep-alive")) r->close = 0;
        }
        line = eol + 1;
    }
    if (r->status < 200 || r->status == 204 || r->status == 304) {
        /* no body; 1xx interim answers are not expected from these servers */
        if (r->status < 200) return -1;
        r->state = HR_DONE;
    } else if (r->chunked) {
        r->state = HR_CHUNK_SIZE;
    } else if (r->content_length >= 0) {
        r->remaining = (uint64_t)r->content_length;
        r->state = r->remaining ? HR_BODY : HR_DONE;
    } else {
        return -1;
    }
    r->line_len = 0;
    return 0;
}

/* A chunk-size line "1a2b[;ext]" (CRLF stripped). */
static int parse_chunk_size(http_resp_t *r) {
    uint64_t size = 0;
    uint32_t i = 0;
    for (; i < r->line_len && isxdigit((unsigned char)r->line[i]); i++) {
        if (size >> 60) return -1;
        int c = tolower((unsigned char)r->line[i]);
        size = size * 16 + (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (i == 0) return -1;
    while (i < r->line_len && (r->line[i] == ' ' || r->line[i] == '\t')) i++;
    if (i < r->line_len && r->line[i] != ';') return -1;
    r->line_len = 0;
    r->remaining = size;
    r->state = size ? HR_CHUNK_DATA : HR_TRAILER;
    return 0;
}

long http_resp_feed(http_resp_t *r, const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n && r->state != HR_DONE) {
        switch (r->state) {
        case HR_HEAD: {
            /* copy up to the end of the header block */
            while (i < n) {
                if (r->line_len >= HTTP_HEAD_MAX) return -1;
                r->line[r->line_len++] = (char)p[i++];
                if (r->line_len >= 4 && memcmp(r->line + r->line_len - 4, "\r\n\r\n", 4) == 0) {
                    if (parse_head(r) < 0) return -1;
                    break;
                }
            }
            break;
        }
        case HR_BODY:
        case HR_CHUNK_DATA: {
            size_t take = n - i < r->remaining ? n - i : (size_t)r->remaining;
            i += take;
            r->remaining -= take;
            r->body_bytes += take;
            if (r->remaining == 0) r->state = r->state == HR_BODY ? HR_DONE : HR_CHUNK_CRLF;
            break;
        }
        case HR_CHUNK_CRLF:
            /* CRLF after a chunk's data: line collects it */
            r->line[r->line_len++] = (char)p[i++];
            if (r->line_len == 2) {
                if (r->line[0] != '\r' || r->line[1] != '\n') return -1;
                r->line_len = 0;
                r->state = HR_CHUNK_SIZE;
            }
            break;
        case HR_CHUNK_SIZE:
        case HR_TRAILER: {
            uint8_t c = p[i++];
            if (c == '\n') {
                if (r->line_len > 0 && r->line[r->line_len - 1] == '\r') r->line_len--;
                if (r->state == HR_CHUNK_SIZE) {
                    if (parse_chunk_size(r) < 0) return -1;
                } else if (r->line_len == 0) {
                    r->state = HR_DONE;          /* the blank line after the last chunk's trailers */
                } else {
                    r->line_len = 0;             /* a trailer field, ignored */
                }
            } else {
                if (r->line_len >= HTTP_HEAD_MAX) return -1;
                r->line[r->line_len++] = (char)c;
            }
            break;
        }
        case HR_DONE:
            break;
        }
    }
    return (long)i;
}
