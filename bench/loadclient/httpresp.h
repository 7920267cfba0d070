/* I/O-free HTTP/1.1 response framing for the REST load client.
 *
 * Bytes go in as they arrive; the parser finds the end of one response from its headers
 * (Content-Length or chunked Transfer-Encoding) without keeping or inflating the body, so a client
 * core is not spent on decompression the server is being measured for. A response with neither
 * header (its body would end at close) is taken as malformed: the servers measured here always
 * frame their answers.
 */
#ifndef LOADCLIENT_HTTPRESP_H
#define LOADCLIENT_HTTPRESP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 16384

typedef enum { HR_HEAD, HR_BODY, HR_CHUNK_SIZE, HR_CHUNK_DATA, HR_CHUNK_CRLF, HR_TRAILER, HR_DONE } http_resp_state_t;

typedef struct {
    http_resp_state_t state;
    char line[HTTP_HEAD_MAX];   /* the header block, then a chunk-size or trailer line */
    uint32_t line_len;
    int status;
    int chunked, gzip, close;
    int64_t content_length;     /* -1 when absent */
    uint64_t remaining;         /* body (or current chunk) bytes still to come */
    uint64_t body_bytes;        /* body bytes as sent (compressed if gzip), chunk framing excluded */
} http_resp_t;

void http_resp_reset(http_resp_t *r);
/* Takes up to n bytes of the response. Returns how many it used (fewer than n only once the response
 * is complete: state HR_DONE, the rest belongs to the next one), or -1 if the bytes are not a valid
 * HTTP/1.1 response. */
long http_resp_feed(http_resp_t *r, const uint8_t *p, size_t n);

#endif
