"""Durable outgoing messages: recorded with the state change that caused them, then delivered."""
