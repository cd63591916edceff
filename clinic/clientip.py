"""The client's address, the one place that decides whether to believe X-Forwarded-For.

With CLINIC_TRUSTED_PROXY_HOPS = 0 (the default) the client is REMOTE_ADDR: a header the
client can write itself is never believed. Behind N proxies that each append the address
they saw (nginx `proxy_add_x_forwarded_for`), the client is the Nth address from the right
of X-Forwarded-For; anything to its left was written by the client and is ignored.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.CLINIC_TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        # The request did not come through every configured proxy (or one does not add the
        # header): the directly connected peer is all we know for sure.
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
