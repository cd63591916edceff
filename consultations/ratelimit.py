"""A per-client fixed-window limit on stored intake forms (and bot-trap hits).

Only what costs the clinic something counts: a stored request or a bot caught by the
honeypot. A patient who sends the form with mistakes and corrects them is never locked
out. The count is atomic across processes on both backends the README offers: Redis
(SET NX with expiry, then INCR) or, without Redis, a database row bumped by one
INSERT … ON CONFLICT DO UPDATE statement. Keys hold a hash of the address, never the
address itself.
"""

import datetime
import hashlib
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from clinic.clientip import client_ip

from .models import RateLimitCounter

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


def _limit():
    return parse_rate(settings.CLINIC_SUBMISSION_RATE)


def _key(request, scope, window):
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(time.time()) // window}"


def _uses_redis():
    return isinstance(caches["default"], RedisCache)


def exceeded(request, scope):
    """True when this client has used up its limit in the current window (counts nothing)."""
    parsed = _limit()
    if parsed is None:
        return False
    limit, window = parsed
    key = _key(request, scope, window)
    if _uses_redis():
        used = cache.get(key, 0)
    else:
        used = RateLimitCounter.objects.filter(key=key).values_list("hits", flat=True).first() or 0
    return used >= limit


def count(request, scope):
    """Count one stored request or bot hit for this client; returns the count in this window."""
    parsed = _limit()
    if parsed is None:
        return 0
    _limit_value, window = parsed
    key = _key(request, scope, window)
    if _uses_redis():
        # SET NX EX starts the window with its expiry; INCR is atomic in Redis.
        cache.add(key, 0, timeout=window + 1)
        try:
            return cache.incr(key)
        except ValueError:  # the window expired between add() and incr()
            cache.add(key, 1, timeout=window + 1)
            return 1
    return _count_in_database(key, timezone.now() + datetime.timedelta(seconds=window + 1))


def _count_in_database(key, expires_at):
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    key_column = connection.ops.quote_name("key")
    # One statement: two processes counting at once each get their own number.
    # (ON CONFLICT … RETURNING: PostgreSQL, and SQLite 3.35+.)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 (names from the model)
            f"ON CONFLICT ({key_column}) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [key, connection.ops.adapt_datetimefield_value(expires_at)],
        )
        hits = cursor.fetchone()[0]
    if hits == 1:
        # A new window: clear out the windows that have ended (few rows, indexed).
        RateLimitCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return hits
