"""Pages reachable without a launch: the landing page and the health check."""
