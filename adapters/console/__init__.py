"""The console: a real text adapter to run the whole loop locally with no credentials."""
