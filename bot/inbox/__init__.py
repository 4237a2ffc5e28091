"""Durable incoming requests: stored before the platform gets its acknowledgement, then run."""
