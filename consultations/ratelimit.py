"""A per-client fixed-window counter for form posts, kept in Django's cache.

The cache is shared by every process (database or Redis cache in settings), so
the limit holds under several gunicorn workers. The key holds a hash of the IP
address, never the address itself.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

WINDOWS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """(limit, window seconds) from "10/h"; None for "off" or an empty value."""
    rate = (rate or "").strip().lower()
    if rate in ("", "off", "none", "0"):
        return None
    count, _, unit = rate.partition("/")
    try:
        return int(count), WINDOWS[unit or "h"]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f'CLINIC_SUBMISSION_RATE must look like "10/h" (per s, m, h or d) or be "off", not {rate!r}.'
        ) from None


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is written by the client unless a trusted proxy
    # rewrites it, and a spoofable key would make the limit worthless.
    return request.META.get("REMOTE_ADDR", "")


def hit(request, scope, rate=None):
    """Count one attempt; True while the client is within the limit."""
    parsed = parse_rate(settings.CLINIC_SUBMISSION_RATE if rate is None else rate)
    if parsed is None:
        return True
    limit, window = parsed
    now = int(time.time())
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{now // window}"
    # add() does nothing when the key exists, so the window's expiry is set once. incr() is
    # atomic on Redis; on the database cache two posts in the same instant may count as one,
    # which does not matter for a limit meant to stop floods.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return count <= limit
