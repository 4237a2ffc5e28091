"""Adapters: each chat platform (and the console) translated to and from the core."""
