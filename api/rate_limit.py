"""A per-client rate limit on the read endpoints that cost CPU (search, ask): 429 with Retry-After.

Moving-window counting from the `limits` library, in this process's memory:
with several API workers each counts on its own, so the effective limit is
workers x KB_RATE_LIMIT. Clients are told apart by their address; behind a
reverse proxy every request comes from the proxy, so raise the limit there or
set it to 0 (off) and limit at the proxy.
"""

from __future__ import annotations

import math
import time

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.dependencies import get_settings
from api.errors import RateLimited
from api.security import is_local_command
from kb import Settings


class RateLimiter:
    """One app's counters (its own memory: two apps in one process, as in tests, count apart)."""

    def __init__(self) -> None:
        self.windows = MovingWindowRateLimiter(MemoryStorage())
        self.parsed: dict[str, RateLimitItem] = {}

    def item(self, rule: str) -> RateLimitItem:
        return self.parsed.get(rule) or self.parsed.setdefault(rule, parse(rule))


def rate_limited(request: Request, settings: Settings = Depends(get_settings)) -> None:
    rule = settings.rate_limit.strip()
    if rule in ("", "0") or is_local_command(request, settings):  # the kb command on this machine (kb eval) is not a client
        return
    limiter: RateLimiter = request.app.state.rate_limiter
    limit = limiter.item(rule)
    client = request.client.host if request.client else "unknown"
    if limiter.windows.hit(limit, "reads", client):
        return
    reset = limiter.windows.get_window_stats(limit, "reads", client).reset_time
    wait = max(1, math.ceil(reset - time.time()))
    raise RateLimited(f"too many requests from this client (KB_RATE_LIMIT is {rule}): retry in {wait} s", headers={"Retry-After": str(wait)})
