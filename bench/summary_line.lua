-- wrk: the `done` hook the bench scripts share, printing one JSON line (bench/load.sh parses it).
function done(summary, latency, requests)
  io.write(string.format(
    '{"seconds": %.3f, "requests": %d, "per_second": %.1f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.duration / 1e6, summary.requests, summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
