"""aiohttp's access log, for the answers that went wrong only (4xx and 5xx).

A line for every 200 is a line per `/flag`, button and event: at a burst of 200 requests a
second, formatting them cost the event loop more than storing the requests. The refused and
failed ones are the lines someone reads (a wrong signing secret, a scan, a 500), so those stay,
in aiohttp's usual format on the `aiohttp.access` logger.
"""

from __future__ import annotations

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse


class ProblemAccessLogger(AccessLogger):
    """Logs a request only when its answer's status is 400 or more."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if response.status >= 400:
            super().log(request, response, time)
