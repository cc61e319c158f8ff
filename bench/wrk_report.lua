-- Prints one JSON line with throughput and latency percentiles when wrk finishes.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "errors": %d, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
