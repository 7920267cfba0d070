-- wrk script: after the run, print one line of JSON (prefixed with "JSON ") with latency
-- percentiles in microseconds, requests/s and errors, for bench/report.py.
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    'JSON {"mode":"wrk","requests":%d,"duration_s":%.2f,"requests_per_s":%.1f,"errors":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"bytes":%d,"lat_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, secs, summary.requests / secs, errors, e.status, e.timeout, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
