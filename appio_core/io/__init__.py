"""App IO: the client, its typed errors and values, the rate limiter, the HTTP stack and
the simulator."""
