"""The client's address behind our proxies: forged X-Forwarded-For entries are never believed,
sign-in throttling keys on the real client (one attacker can't lock everyone out behind a load
balancer), and the optional admin allow-list uses the same address."""

import ipaddress
import uuid

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from core.network import client_ip
from tests.factories import PASSWORD, UserFactory
from tests.more_factories import StaffUserFactory

BALANCER = "10.0.0.5"  # our load balancer: REMOTE_ADDR of every request that comes through it
ATTACKER = "203.0.113.66"
VISITOR = "198.51.100.7"


def request(remote=BALANCER, xff=None, **headers):
    meta = {"REMOTE_ADDR": remote, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


# --- The helper --------------------------------------------------------------------------------


def test_it_ignores_forwarded_for_entirely_with_no_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request(remote=ATTACKER, xff="1.2.3.4")) == ATTACKER
    assert client_ip(request(remote=ATTACKER, xff=f"1.2.3.4, {VISITOR}")) == ATTACKER


def test_it_takes_the_entry_our_one_proxy_appended_and_ignores_spoofed_ones_to_its_left(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request(xff=VISITOR)) == VISITOR
    # The attacker sends their own X-Forwarded-For; our balancer appends their real address.
    assert client_ip(request(xff=f"{VISITOR}, {ATTACKER}")) == ATTACKER
    assert client_ip(request(xff=f"127.0.0.1, 10.0.0.1, {VISITOR}, {ATTACKER}")) == ATTACKER


def test_it_counts_from_the_right_through_several_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2  # a CDN, then our balancer (which appends the CDN's address)
    cdn_edge = "192.0.2.10"

    assert client_ip(request(xff=f"{ATTACKER}, {cdn_edge}")) == ATTACKER
    assert client_ip(request(xff=f"{VISITOR}, {ATTACKER}, {cdn_edge}")) == ATTACKER


def test_it_falls_back_to_the_peer_when_a_request_skipped_our_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    # Straight to the web process with a forged one-entry header: fewer hops than proxies.
    assert client_ip(request(remote=ATTACKER, xff=VISITOR)) == ATTACKER
    assert client_ip(request(remote=ATTACKER)) == ATTACKER


def test_it_refuses_garbage_in_the_trusted_entry_and_normalises_addresses(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request(xff="1.2.3.4, not-an-ip")) == BALANCER
    assert client_ip(request(xff="198.51.100.7:51234")) == VISITOR
    assert client_ip(request(xff="[2001:DB8::1]:443")) == "2001:db8::1"
    assert client_ip(request(remote="")) is None


def test_a_cdn_header_is_used_only_when_configured(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(**{"CF-Connecting-IP": VISITOR})) == BALANCER

    settings.TRUSTED_CLIENT_IP_HEADER = "CF-Connecting-IP"
    assert client_ip(request(xff=ATTACKER, **{"CF-Connecting-IP": VISITOR})) == VISITOR
    assert client_ip(request(**{"CF-Connecting-IP": "forged"})) == BALANCER


# --- Sign-in throttling behind a load balancer -------------------------------------------------


@pytest.fixture
def throttled(settings):
    """allauth's production rate limits (the tests switch them off), on a clean slate."""
    settings.ACCOUNT_RATE_LIMITS = {"login": "30/m/ip", "login_failed": "10/m/ip,5/300s/key"}
    cache.clear()
    yield
    cache.clear()


def _log_in(client, email, password, via):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=via
    )


TOO_MANY = "Too many failed login attempts"


def _refused(response) -> bool:
    return response.status_code == 429 or TOO_MANY in response.content.decode()


def _attack(client, forged_prefix=True):
    """Eleven wrong passwords for eleven addresses from one attacker, each request with a
    different forged X-Forwarded-For in front of the entry our balancer appends. Whether the
    last one was refused by the throttle."""
    response = None
    for n in range(11):
        forged = f"{ipaddress.ip_address('100.64.0.1') + n}, " if forged_prefix else ""
        response = _log_in(client, f"nobody{n}-{uuid.uuid4().hex[:6]}@example.com", "wrong", f"{forged}{ATTACKER}")
    return _refused(response)


def test_one_attacker_behind_the_balancer_is_throttled_alone(client, db, settings, throttled):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()

    assert _attack(client)  # the attacker's own bucket filled, whatever they forged
    visitor = _log_in(client, user.email, PASSWORD, VISITOR)
    assert visitor.status_code == 302  # signed in: a different client, a different bucket


def test_without_the_proxy_setting_everyone_behind_the_balancer_shares_one_bucket(client, db, settings, throttled):
    """Why the setting exists: with it unset, the attacker locks the visitor out too."""
    settings.TRUSTED_PROXY_COUNT = 0
    user = UserFactory()

    assert _attack(client, forged_prefix=False)

    assert _refused(_log_in(client, user.email, PASSWORD, VISITOR))


# --- Consent records the client, not the balancer --------------------------------------------


def test_the_adapter_gives_allauth_the_client_address(rf, settings):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(request(xff=f"1.1.1.1, {VISITOR}")) == VISITOR


# --- The admin allow-list --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/cms/", "/cms/pages/"])
def test_the_admin_and_cms_are_not_found_outside_the_allowed_networks(client, db, settings, path):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ADMIN_ALLOWED_CIDRS = (ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8::/32"))
    client.force_login(StaffUserFactory(is_superuser=True))

    outside = client.get(path, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=ATTACKER)
    spoofed = client.get(path, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=f"{VISITOR}, {ATTACKER}")
    inside = client.get(path, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {VISITOR}")
    inside_v6 = client.get(path, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="2001:db8::42")

    assert outside.status_code == 404
    assert spoofed.status_code == 404  # a forged entry to the left of our balancer's is ignored
    assert inside.status_code in (200, 302)
    assert inside_v6.status_code in (200, 302)


def test_the_allow_list_leaves_the_app_alone_and_is_off_by_default(client, db, settings):
    settings.ADMIN_ALLOWED_CIDRS = (ipaddress.ip_network("198.51.100.0/24"),)
    assert client.get("/", REMOTE_ADDR=ATTACKER).status_code == 200
    assert client.get("/accounts/login/", REMOTE_ADDR=ATTACKER).status_code == 200

    settings.ADMIN_ALLOWED_CIDRS = ()
    client.force_login(StaffUserFactory(is_superuser=True))
    assert client.get("/admin/", REMOTE_ADDR=ATTACKER).status_code == 200


def test_a_bad_network_stops_startup_naming_it(monkeypatch):
    import environ

    from config import settings as config_settings

    monkeypatch.setenv("ADMIN_ALLOWED_CIDRS", "10.0.0.0/8,office")
    with pytest.raises(environ.ImproperlyConfigured, match="'office' is not an IP network"):
        config_settings._networks("ADMIN_ALLOWED_CIDRS")
