"""Flags: what agents raise from chat, and everything that happens to them."""
