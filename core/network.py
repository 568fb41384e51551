"""Who is on the other end: the client's IP address behind our own proxies, and IP allow-lists.

Behind a load balancer ``REMOTE_ADDR`` is the balancer's address, the same for every visitor, so
throttling on it puts everyone in one bucket (one attacker locks everyone out). The client's
address is in ``X-Forwarded-For``, but only the entries our own proxies appended can be trusted:
each proxy appends the address it received the connection from, so with ``TRUSTED_PROXY_COUNT``
proxies in front of us the client is the entry that many places from the right. Everything to
its left was sent by the client and may be forged; it is never read.

``TRUSTED_CLIENT_IP_HEADER`` names a header a CDN sets to the client's address instead (e.g.
``CF-Connecting-IP``), for deployments where every request passes through that CDN.

allauth's rate limits and consent records use ``client_ip`` (accounts/adapter.py), as does the
admin allow-list (``AdminAllowListMiddleware``); docs/configuration.md#proxies-and-client-ips.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None if the request carries no usable one.

    With no trusted proxies (the default) the ``X-Forwarded-For`` header is ignored entirely. A
    request with fewer forwarded entries than trusted proxies didn't come through all of them
    (or the setting is wrong); its TCP peer is the only address we can vouch for, so that is used.
    """
    remote = _clean(request.META.get("REMOTE_ADDR", ""))
    header = settings.TRUSTED_CLIENT_IP_HEADER
    if header:
        return _clean(request.headers.get(header, "")) or remote
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    return _clean(hops[-count]) or remote


def _clean(value: str) -> str | None:
    """A bare, normalised IP address from a header value (``[::1]:443`` and ``1.2.3.4:80`` too)."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port; IPv6 has several colons
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def ip_in_networks(ip: str | None, networks: Iterable[Network]) -> bool:
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
