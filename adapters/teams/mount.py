"""Mount Teams on the server (placeholder until the Teams adapter lands)."""

from __future__ import annotations

from aiohttp import web

from adapters.wiring import Runtime


def mount_teams(app: web.Application, runtime: Runtime) -> str | None:
    """Mount the Bot Framework endpoint; returns the platform label, or None."""
    return None
