"""Stripe Connect in the local Stripe: Express accounts, account links, transfers.

An Express account starts unable to receive transfers (``capabilities.transfers: inactive``).
Its account link opens the local onboarding page (``views_connect.onboarding``), which stands in
for the form Stripe hosts: finishing it makes the account active and sends ``account.updated``,
signed like every other event; leaving sends the person to the link's refresh URL, as Stripe does.
Transfers move money to an active account; a test-mode switch (``transfers_fail_set``) makes an
account's transfers fail the way Stripe refuses them, so the retry path can be exercised.
"""

from __future__ import annotations

from typing import Any

from stripe_local.engine import StripeError, emit, get, new_id, now, save, site_url


def account_create(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("type", "express") != "express":
        raise StripeError("The local Stripe makes Express accounts only.", param="type")
    account: dict[str, Any] = {
        "id": new_id("acct"),
        "object": "account",
        "type": "express",
        "business_profile": {"name": None, "support_email": None, "url": None, "mcc": None},
        "business_type": params.get("business_type") or "individual",
        "capabilities": {"transfers": "inactive"},
        "charges_enabled": False,
        "country": params.get("country") or "US",
        "created": now(),
        "default_currency": "usd",
        "details_submitted": False,
        "email": params.get("email"),
        "metadata": params.get("metadata") or {},
        "payouts_enabled": False,
        "requirements": {"currently_due": ["individual.first_name", "external_account"], "disabled_reason": None},
        "settings": {
            "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
            "dashboard": {"display_name": params.get("email") or "Creator", "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
        },
        "tos_acceptance": {"date": None},
        "_fail_transfers": False,
    }
    save(account)
    return account


def connected(account_id: str, *, lock: bool = False) -> dict[str, Any]:
    account = get(account_id, "account", lock=lock)
    if account.get("type") != "express":
        raise StripeError(f"No such account: '{account_id}'", status=404, code="resource_missing", param="account")
    return account


def account_link_create(params: dict[str, Any]) -> dict[str, Any]:
    account = connected(str(params.get("account") or ""))
    for name in ("refresh_url", "return_url"):
        if not params.get(name):
            raise StripeError(f"Missing required param: {name}.", param=name)
    link_id = new_id("acctlink")
    link = {
        "id": link_id,
        "object": "account_link",
        "created": now(),
        "expires_at": now() + 300,
        "url": site_url(f"/local-stripe/connect/{link_id}/"),
        "_account": account["id"],
        "_refresh_url": params["refresh_url"],
        "_return_url": params["return_url"],
    }
    save(link)
    return link


def onboarding_complete(account_id: str) -> dict[str, Any]:
    """The person finished the hosted form: the account can receive transfers (``account.updated``)."""
    account = connected(account_id, lock=True)
    if account["capabilities"].get("transfers") == "active":
        return account
    previous = {"capabilities": dict(account["capabilities"]), "payouts_enabled": account["payouts_enabled"]}
    account.update(
        capabilities={"transfers": "active"},
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        requirements={"currently_due": [], "disabled_reason": None},
        tos_acceptance={"date": now()},
    )
    save(account)
    emit("account.updated", account, previous)
    return account


def transfers_fail_set(account_id: str, fail: bool) -> None:
    """Test mode: make this account's transfers fail (or succeed again)."""
    account = connected(account_id, lock=True)
    account["_fail_transfers"] = fail
    save(account)


def transfer_create(params: dict[str, Any]) -> dict[str, Any]:
    destination = connected(str(params.get("destination") or ""))
    try:
        amount = int(params.get("amount") or 0)
    except ValueError:
        raise StripeError("Invalid integer: amount.", param="amount") from None
    if amount <= 0:
        raise StripeError("This value must be greater than or equal to 1.", param="amount")
    if destination["capabilities"].get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    if destination.get("_fail_transfers"):
        raise StripeError(
            "You have insufficient available funds in your Stripe account (test mode).", code="balance_insufficient"
        )
    transfer = {
        "id": new_id("tr"),
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": None,
        "created": now(),
        "currency": params.get("currency") or "usd",
        "description": params.get("description"),
        "destination": destination["id"],
        "destination_payment": None,
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "url": "/v1/transfers/reversals"},
        "reversed": False,
        "source_transaction": None,
        "source_type": "card",
        "transfer_group": params.get("transfer_group"),
    }
    save(transfer)
    emit("transfer.created", transfer)
    return transfer
