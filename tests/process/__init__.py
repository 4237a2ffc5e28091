"""Real-process tests: `frontline serve` and a fake Slack Web API, each in its own process."""
