"""The one aiohttp application `frontline serve` runs: platforms, health and metrics."""
