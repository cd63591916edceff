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


# An IPv6 client gets a whole /64 from its provider (and picks a new address in it at will:
# privacy extensions), so counting each /128 separately counts one home as millions of clients.
IPV6_CLIENT_PREFIX = 64


def client_key(request):
    """Who counts as one client for budgets and caps: the IPv4 address, or the IPv6 /64.

    An IPv4-mapped IPv6 address (::ffff:a.b.c.d, from a dual-stack socket) is its IPv4 address."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)
