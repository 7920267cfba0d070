/* Log-linear latency histogram in the style of HdrHistogram.
 *
 * Values are microseconds. Values below 2^(SUB_BITS+1) get their own bucket; above that every
 * power of two is split into 2^SUB_BITS equal buckets, so the relative error of a reported
 * percentile is at most 2^-SUB_BITS (0.1 %). Recording is O(1) with no allocation.
 */
#ifndef LOADCLIENT_HIST_H
#define LOADCLIENT_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 10
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)          /* 1024 buckets per power of two */
#define HIST_LINEAR_MAX (2u * HIST_SUB_COUNT)          /* values < 2048 are exact */
#define HIST_MAX_SHIFT 40                              /* values up to ~2^50 us */
#define HIST_BUCKETS (HIST_LINEAR_MAX + HIST_MAX_SHIFT * HIST_SUB_COUNT)

typedef struct {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t min, max;
    double sum;
} hist_t;

void hist_reset(hist_t *h);
void hist_record(hist_t *h, uint64_t v);
/* Highest value equivalent to the bucket holding the q-quantile (0 < q <= 1); exact max for q = 1. */
uint64_t hist_quantile(const hist_t *h, double q);

/* Exposed for the self-test. */
uint32_t hist_index(uint64_t v);
uint64_t hist_bucket_high(uint32_t idx);

#endif
