"""Benchmark harness of pulumi-datadog-testing (see docs/performance.md)."""
