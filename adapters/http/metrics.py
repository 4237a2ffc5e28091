"""Prometheus metrics, one registry per application (no module-level globals)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        requests = Counter(
            "frontline_http_requests",
            "HTTP requests handled, by route and status",
            ["route", "status"],
            registry=registry,
        )
        return cls(registry=registry, requests=requests)


METRICS_KEY = web.AppKey("metrics", Metrics)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """GET /metrics in the Prometheus text format."""
    body = generate_latest(request.app[METRICS_KEY].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def count_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count each request by its route and final status."""
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as error:
        request.app[METRICS_KEY].requests.labels(name, str(error.status)).inc()
        raise
    request.app[METRICS_KEY].requests.labels(name, str(response.status)).inc()
    return response
