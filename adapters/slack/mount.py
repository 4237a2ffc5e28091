"""Mount Slack on the server (placeholder until the Slack adapter lands)."""

from __future__ import annotations

from aiohttp import web

from adapters.wiring import Runtime


def mount_slack(app: web.Application, runtime: Runtime) -> str | None:
    """Mount Slack when its credentials are set; returns the platform label, or None."""
    return None
