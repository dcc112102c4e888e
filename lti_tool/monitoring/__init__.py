"""Health, readiness, Prometheus metrics and the request id: what an operator watches."""
