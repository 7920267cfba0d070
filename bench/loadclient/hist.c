#include "hist.h"

#include <string.h>

void hist_reset(hist_t *h) {
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint32_t hist_index(uint64_t v) {
    if (v < HIST_LINEAR_MAX) return (uint32_t)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - HIST_SUB_BITS;              /* >= 1 here */
    if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1;
    uint64_t sub = (v >> shift) - HIST_SUB_COUNT;      /* 0 .. 1023 */
    return HIST_LINEAR_MAX + (shift - 1) * HIST_SUB_COUNT + (uint32_t)sub;
}

uint64_t hist_bucket_high(uint32_t idx) {
    if (idx < HIST_LINEAR_MAX) return idx;
    uint32_t rel = idx - HIST_LINEAR_MAX;
    unsigned shift = rel / HIST_SUB_COUNT + 1;
    uint64_t sub = rel % HIST_SUB_COUNT + HIST_SUB_COUNT;
    return ((sub + 1) << shift) - 1;
}

void hist_record(hist_t *h, uint64_t v) {
    h->counts[hist_index(v)]++;
    h->total++;
    h->sum += (double)v;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

uint64_t hist_quantile(const hist_t *h, double q) {
    if (h->total == 0) return 0;
    if (q >= 1.0) return h->max;
    uint64_t rank = (uint64_t)(q * (double)h->total + 0.999999999);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t hi = hist_bucket_high(i);
            return hi > h->max ? h->max : hi;
        }
    }
    return h->max;
}
