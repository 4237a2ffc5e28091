"""The Slack adapter: Bolt (HTTP and Socket Mode) in, Block Kit out."""
