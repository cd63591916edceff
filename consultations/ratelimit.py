"""Per-client fixed-window budgets on the intake form: stored requests, photo posts, invalid posts.

Three budgets, each from a setting like "10/h":
- "intake" (CLINIC_SUBMISSION_RATE): stored requests and bot-trap hits;
- "photos" (CLINIC_PHOTO_POST_RATE): posts whose photos get decoded (costly: CPU and memory);
- "invalid" (CLINIC_INVALID_POST_RATE): posts sent back with errors, generous enough for a
  patient correcting mistakes, small enough that a client cannot make the server validate
  forms for free.

A budget is *reserved* before the work it pays for: one atomic increment first, and the
work goes ahead only if the number it returned is within the limit. Checking and counting
in two steps let concurrent posts all pass the check (4 of 6 stored with 2 left). A
reservation whose work did not happen (the chosen time went to someone else) is refunded.
Atomic across processes on both backends the README offers: Redis (SET NX with expiry,
then INCR) or, without Redis, a database row bumped by one INSERT … ON CONFLICT DO UPDATE
statement. Keys hold a hash of the client key (clinic.clientip.client_key: an IPv6 client
is its /64), never the address itself.
"""

import contextlib
import datetime
import hashlib
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.utils import timezone

from clinic.clientip import client_key

from .models import RateLimitCounter

WINDOWS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# scope -> the setting holding its rate.
SETTINGS = {
    "intake": "CLINIC_SUBMISSION_RATE",
    "photos": "CLINIC_PHOTO_POST_RATE",
    "invalid": "CLINIC_INVALID_POST_RATE",
}


def parse_rate(rate, name="CLINIC_SUBMISSION_RATE"):
    """(limit, window seconds) from "10/h"; None for "off" or an empty value."""
    rate = (rate or "").strip().lower()
    if rate in ("", "off", "none", "0"):
        return None
    count, _, unit = rate.partition("/")
    try:
        return int(count), WINDOWS[unit or "h"]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f'{name} must look like "10/h" (per s, m, h or d) or be "off", not {rate!r}.'
        ) from None


def _limit(scope):
    name = SETTINGS[scope]
    return parse_rate(getattr(settings, name), name)


def _key(request, scope, window):
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_key(request)}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(time.time()) // window}"


def _uses_redis():
    return isinstance(caches["default"], RedisCache)


def exceeded(request, scope):
    """True when this client has used up its limit in the current window (counts nothing).

    A cheap early refusal; the decision that counts is reserve()'s."""
    parsed = _limit(scope)
    if parsed is None:
        return False
    limit, window = parsed
    key = _key(request, scope, window)
    if _uses_redis():
        used = cache.get(key, 0)
    else:
        used = RateLimitCounter.objects.filter(key=key).values_list("hits", flat=True).first() or 0
    return used >= limit


class Reservation:
    """One unit of a client's budget, taken before the work. False when the budget was used up."""

    def __init__(self, key, allowed):
        self.key = key
        self.allowed = allowed

    def __bool__(self):
        return self.allowed

    def refund(self):
        """Give the unit back: the work it paid for did not happen (nothing was stored)."""
        if not self.allowed or self.key is None:
            return
        self.allowed = False
        if _uses_redis():
            # ValueError: the window ended meanwhile, nothing left to give back.
            with contextlib.suppress(ValueError):
                cache.decr(self.key)
        else:
            RateLimitCounter.objects.filter(key=self.key, hits__gt=0).update(hits=F("hits") - 1)


def reserve(request, scope):
    """Take one unit of this client's budget; the Reservation is falsy when it was already used up."""
    parsed = _limit(scope)
    if parsed is None:
        return Reservation(None, True)
    limit, window = parsed
    key = _key(request, scope, window)
    return Reservation(key, _increment(key, window) <= limit)


def count(request, scope):
    """Count one post for this client (a bot hit, an invalid post); returns the count in this window."""
    parsed = _limit(scope)
    if parsed is None:
        return 0
    _limit_value, window = parsed
    return _increment(_key(request, scope, window), window)


def _increment(key, window):
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
