"""Writes for the credits ledger: grants, staff adjustments, and the holds that pay for jobs; and
opening an organisation on its first plan, with that plan's credits.

Every change to an account is one relative, conditional UPDATE of its ``CreditAccount`` row plus one
append-only ``LedgerEntry`` in the same transaction, so the cached ``balance``/``held`` always equal
the sums of the ledger (see ``ledger_problems``). Nothing here reads a balance, decides in Python
and writes it back: under concurrency that loses updates (reference/reliability.md §2.2).

A job's life: ``hold_reserve`` when it starts (fails with ``InsufficientCredits``), then exactly one
of ``hold_capture`` (it succeeded) or ``hold_release`` (it failed, was cancelled or expired).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Q, Sum, When, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.emails import low_credit_email_send
from billing.models import CreditAccount, Hold, LedgerEntry, Plan
from billing.prices import OPERATION_PRICES
from core.exceptions import DomainError
from orgs import services as org_services
from orgs.models import Role

if TYPE_CHECKING:
    from django.db.models import Model

    from accounts.models import User
    from orgs.models import Membership, Organization

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind


def _credits(n: int) -> str:
    return f"{n:,} credit{'' if n == 1 else 's'}"


class InsufficientCredits(DomainError):
    """Starting a job needs more credits than the organisation has available (HTTP 402)."""

    def __init__(self, *, needed: int, available: int):
        self.needed = needed
        self.available = available
        super().__init__(f"This needs {_credits(needed)}; you have {available:,} available.")

    def refusal(self, what: str, *, plural: bool = False) -> str:
        """The one way a refusal is worded: "<what> need(s) N credits and you have M available."."""
        return f"{what} need{'' if plural else 's'} {_credits(self.needed)} and you have {self.available:,} available."


# --- The account row ------------------------------------------------------------------------------

# One statement that checks and moves: it changes the row only if afterwards balance >= held (the
# CHECK constraint's rule, so for a reservation "available >= n"). Under READ COMMITTED an UPDATE
# that waited for another transaction's lock re-evaluates its WHERE on the new row version, so
# concurrent callers can't both pass the check on a stale balance.
_MOVE_SQL = """
UPDATE billing_creditaccount
   SET balance = balance + %s, held = held + %s, updated_at = now()
 WHERE org_id = %s AND balance + %s >= held + %s
RETURNING id, balance, held
"""


# Lock order for every ledger write: the organisation row (FOR KEY SHARE), then the hold being
# settled, then the account row. Inserting a Hold or LedgerEntry takes KEY SHARE on the organisation
# anyway (its foreign key); taking it first means a transaction that holds orgs.services.org_lock
# (FOR UPDATE) and then reserves credits can't deadlock with a reservation that already holds the
# account row and is waiting to insert.
_ORG_KEY_SHARE_SQL = "SELECT 1 FROM orgs_organization WHERE id = %s FOR KEY SHARE"


def _lock_org(org_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_ORG_KEY_SHARE_SQL, [org_id])


def _move(org_id: int, amount: int, held_delta: int) -> tuple[int, int, int] | None:
    """Change ``org_id``'s balance by ``amount`` and its held credits by ``held_delta`` if the result
    keeps ``balance >= held``. Returns (account id, balance, held) after, or None if refused."""
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_SQL, [amount, held_delta, org_id, amount, held_delta])
        row = cursor.fetchone()
    return tuple(row) if row else None


def _move_or_create(org: Organization, amount: int, held_delta: int) -> tuple[int, int, int] | None:
    moved = _move(org.pk, amount, held_delta)
    if moved is None:
        # No account yet (or one created by a transaction that committed after our UPDATE began), or
        # the change was refused. Once the account surely exists, the second answer is the real one.
        credit_account(org)
        moved = _move(org.pk, amount, held_delta)
    return moved


def credit_account(org: Organization) -> CreditAccount:
    """The organisation's account, created (empty) the first time; safe when two callers race."""
    account = CreditAccount.objects.filter(org_id=org.pk).first()
    if account is None:
        # ON CONFLICT DO NOTHING waits for a concurrent insert to commit instead of failing.
        CreditAccount.objects.bulk_create([CreditAccount(org_id=org.pk)], ignore_conflicts=True)
        account = CreditAccount.objects.get(org_id=org.pk)
    return account


def credit_account_lock(org: Organization) -> None:
    """Lock the organisation's account row until the transaction ends, in the ledger's lock order:
    work that must not interleave with another of the same org's (starting a job within the plan's
    limit on jobs at once) queues here, as its credit hold would anyway."""
    _lock_org(org.pk)
    credit_account(org)
    CreditAccount.objects.select_for_update().filter(org_id=org.pk).values_list("pk", flat=True).first()


def credits_available(org: Organization) -> int:
    """Credits the organisation can spend now: its balance less what running jobs hold."""
    available = CreditAccount.objects.filter(org_id=org.pk).values_list(F("balance") - F("held"), flat=True).first()
    return available or 0


def credits_require(org: Organization, needed: int) -> None:
    """Raise ``InsufficientCredits`` unless ``needed`` credits are available now: a check before
    work a job would store (a mask, a garment) or before reserving twice. The hold is the real check."""
    available = credits_available(org)
    if available < needed:
        raise InsufficientCredits(needed=needed, available=available)


def _entry(
    *,
    org: Organization,
    moved: tuple[int, int, int],
    kind: str,
    amount: int,
    held_delta: int,
    key: str,
    description: str,
    hold: Hold | None = None,
    reason: str = "",
    actor: User | None = None,
) -> LedgerEntry:
    account_id, balance, held = moved
    entry = LedgerEntry.objects.create(
        org_id=org.pk,
        account_id=account_id,
        kind=kind,
        amount=amount,
        held_delta=held_delta,
        balance_after=balance,
        held_after=held,
        idempotency_key=key,
        hold=hold,
        description=description[:300],
        reason=reason,
        actor=actor,
    )
    if amount - held_delta < 0:
        _low_credit_check(org, account_id, entry.pk)
    elif amount > 0:
        _low_credit_rearm(account_id)
    return entry


def _check_amount(amount) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError(f"An amount of credits must be a whole number above zero, not {amount!r}.")


# --- The low-credit email -------------------------------------------------------------------------
# Once per crossing: a change that lowers the available credits below the account's threshold while
# it is armed disarms it and sends the email after the commit; a grant or a positive adjustment that
# brings them back to the threshold re-arms it. Releases don't re-arm, so a job that keeps failing
# can't send the email again and again. Both statements run on the account row this transaction has
# just updated and still locks, so two concurrent holds can't both see it armed.

_LOW_CREDIT_DISARM_SQL = """
UPDATE billing_creditaccount SET low_credit_armed = false
 WHERE id = %s AND low_credit_armed AND low_credit_threshold > 0 AND balance - held < low_credit_threshold
RETURNING balance - held, low_credit_threshold
"""

_LOW_CREDIT_REARM_SQL = """
UPDATE billing_creditaccount SET low_credit_armed = true
 WHERE id = %s AND NOT low_credit_armed AND balance - held >= low_credit_threshold
"""


def _low_credit_check(org: Organization, account_id: int, entry_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_LOW_CREDIT_DISARM_SQL, [account_id])
        crossed = cursor.fetchone()
    if crossed:
        available, threshold = crossed
        transaction.on_commit(
            partial(low_credit_email_send, org_id=org.pk, entry_id=entry_id, available=available, threshold=threshold),
            robust=True,
        )


def _low_credit_rearm(account_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_LOW_CREDIT_REARM_SQL, [account_id])


@transaction.atomic
def low_credit_threshold_set(*, org: Organization, actor: Membership, threshold: int) -> None:
    """Set the available credits below which owners and admins get an email; 0 turns it off.

    Re-arms the email if the credits are at or above the new threshold, so lowering it can't leave
    the email off until the next grant."""
    if not actor.has_role(Role.ADMIN):
        raise DomainError("Only owners and admins can change the low-credit email.")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise DomainError("Enter a whole number of credits, 0 or more.", field="threshold")
    credit_account(org)
    CreditAccount.objects.filter(org_id=org.pk).update(
        low_credit_threshold=threshold,
        low_credit_armed=Case(When(balance__gte=F("held") + threshold, then=True), default=F("low_credit_armed")),
    )


# --- Grants and adjustments -----------------------------------------------------------------------


@transaction.atomic
def credits_grant(
    *, org: Organization, amount: int, key: str, description: str, actor: User | None = None
) -> LedgerEntry | None:
    """Add ``amount`` credits once per ``key``; None if that key was already applied.

    Key grants on business ids (``plan-start:<org>``, ``stripe-invoice:<in_…>``), never on event ids.
    """
    _check_amount(amount)
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return None
    _lock_org(org.pk)
    try:
        with transaction.atomic():
            moved = _move_or_create(org, amount, 0)
            assert moved is not None  # adding credits can't break balance >= held
            return _entry(
                org=org,
                moved=moved,
                kind=Kind.GRANT,
                amount=amount,
                held_delta=0,
                key=key,
                description=description,
                actor=actor,
            )
    except IntegrityError:
        # A concurrent grant with the same key committed first (it held the account row until then).
        if LedgerEntry.objects.filter(idempotency_key=key).exists():
            return None
        raise


@transaction.atomic
def org_create_on_default_plan(*, user: User, name: str) -> Organization:
    """Create an organisation on the default plan with ``user`` as its owner, and grant the plan's credits."""
    plan = Plan.objects.get(is_default=True)
    org = org_services.org_create(user=user, name=name, plan=plan)
    if plan.monthly_credits:
        credits_grant(
            org=org,
            amount=plan.monthly_credits,
            key=f"plan-start:{org.public_id}",
            description=f"{plan.name} plan credits",
        )
    return org


@transaction.atomic
def credits_adjust(*, org: Organization, amount: int, reason: str, actor: User, key: str | None = None) -> LedgerEntry:
    """A support adjustment: add (positive) or remove (negative) credits, with the reason the
    organisation sees on its credit history. Never takes the balance below what jobs hold.

    ``key`` makes a retried request (a double-submitted form) apply once; it defaults to a new one.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise DomainError("Enter a number of credits other than zero: positive to add, negative to remove.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason; the organisation sees it on its credit history.")
    if actor is None:
        raise DomainError("An adjustment needs the staff member who made it.")
    key = key or f"adjust:{uuid.uuid4()}"
    if existing := LedgerEntry.objects.filter(idempotency_key=key).first():
        return existing
    _lock_org(org.pk)
    try:
        with transaction.atomic():
            moved = _move_or_create(org, amount, 0)
            if moved is None:
                account = CreditAccount.objects.get(org_id=org.pk)
                raise DomainError(
                    f"Removing {_credits(-amount)} would leave a balance of {account.balance + amount:,}, but "
                    f"{_credits(account.held)} {'is' if account.held == 1 else 'are'} held by running jobs "
                    f"(balance {account.balance:,}). Remove at most {account.available:,}, or release holds first."
                )
            verb = "added" if amount > 0 else "removed"
            return _entry(
                org=org,
                moved=moved,
                kind=Kind.ADJUSTMENT,
                amount=amount,
                held_delta=0,
                key=key,
                description=f"Credits {verb} by Personae support",
                reason=reason,
                actor=actor,
            )
    except IntegrityError:
        if existing := LedgerEntry.objects.filter(idempotency_key=key).first():
            return existing
        raise


@transaction.atomic
def credits_take_back(*, org: Organization, amount: int, key: str, description: str) -> LedgerEntry | None:
    """Remove up to ``amount`` credits once per ``key`` (a refund, a dispute, plan credits above
    the roll-over cap), never more than are available: the balance doesn't go below zero or below
    what running jobs hold. Writes the entry even when nothing could be taken, so the history says
    so. None if that key was already applied."""
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return None
    _lock_org(org.pk)
    account = CreditAccount.objects.select_for_update().filter(org_id=org.pk).first() or credit_account(org)
    take = max(0, min(amount, account.balance - account.held))
    moved = _move_or_create(org, -take, 0)
    assert moved is not None  # at most what is available
    return _entry(
        org=org, moved=moved, kind=Kind.ADJUSTMENT, amount=-take, held_delta=0, key=key, description=description
    )


# --- Holds ----------------------------------------------------------------------------------------


@transaction.atomic
def hold_reserve(
    *,
    org: Organization,
    amount: int,
    key: str,
    operation: str,
    description: str,
    subject: Model | None = None,
    user: User | None = None,
    expires_in: timedelta = timedelta(hours=24),
) -> Hold:
    """Reserve ``amount`` credits for a job, or raise ``InsufficientCredits``.

    ``key`` makes it idempotent (``job:<uuid>``, or the client's Idempotency-Key): the same key
    returns the same hold. ``subject`` is the job the hold pays for; ``user`` who started it.
    """
    _check_amount(amount)
    if operation not in OPERATION_PRICES:
        raise ValueError(f"Unknown operation {operation!r}; use a key of billing.prices.OPERATION_PRICES.")
    if existing := _existing_hold(org, key):
        return existing
    content_type, object_id = None, ""
    if subject is not None:
        content_type, object_id = ContentType.objects.get_for_model(subject), str(subject.pk)
    _lock_org(org.pk)
    try:
        with transaction.atomic():
            moved = _move_or_create(org, 0, amount)
            if moved is None:
                raise InsufficientCredits(needed=amount, available=credits_available(org))
            now = timezone.now()
            hold = Hold.objects.create(
                account_id=moved[0],
                org_id=org.pk,
                amount=amount,
                idempotency_key=key,
                operation=operation,
                description=description[:300],
                content_type=content_type,
                object_id=object_id,
                created_by=user,
                created_at=now,
                expires_at=now + expires_in,
            )
            _entry(
                org=org,
                moved=moved,
                kind=Kind.HOLD,
                amount=0,
                held_delta=amount,
                key=f"hold:{hold.pk}",
                description=hold.description,
                hold=hold,
                actor=user,
            )
            return hold
    except IntegrityError:
        # The same key was reserved concurrently and committed first; our savepoint undid our move.
        if existing := _existing_hold(org, key):
            return existing
        raise


def _existing_hold(org: Organization, key: str) -> Hold | None:
    hold = Hold.objects.filter(idempotency_key=key).first()
    if hold is not None and hold.org_id != org.pk:
        raise ValueError(f"The hold key {key!r} belongs to another organisation.")
    return hold


def _settle(hold: Hold, *, status: str, captured: int | None) -> None:
    """Copy the settled state onto the caller's instance too."""
    hold.status = status
    hold.settled_at = timezone.now()
    hold.captured_amount = captured
    Hold.objects.filter(pk=hold.pk).update(status=status, settled_at=hold.settled_at, captured_amount=captured)


@transaction.atomic
def hold_capture(*, hold: Hold, amount: int | None = None) -> bool:
    """Charge a finished job: ``amount`` (default the whole hold) leaves the balance, and the rest of
    the hold stops being held. False, changing nothing, if the hold was already settled."""
    _lock_org(hold.org_id)
    locked = Hold.objects.select_for_update(of=("self",)).select_related("org").get(pk=hold.pk)
    if locked.status != Hold.Status.ACTIVE:
        return False
    actual = locked.amount if amount is None else amount
    if not isinstance(actual, int) or isinstance(actual, bool) or actual < 0:
        raise DomainError(f"A capture must be a whole number of credits, zero or more, not {actual!r}.")
    if actual > locked.amount:
        raise DomainError(
            f"This job held {_credits(locked.amount)}, so it can't be charged {actual:,}. Charge at most what was held."
        )
    moved = _move(locked.org_id, -actual, -locked.amount)
    assert moved is not None  # capturing at most what is held keeps balance >= held
    _entry(
        org=locked.org,
        moved=moved,
        kind=Kind.CAPTURE,
        amount=-actual,
        held_delta=-locked.amount,
        key=f"capture:{locked.pk}",
        description=locked.description,
        hold=locked,
    )
    _settle(locked, status=Hold.Status.CAPTURED, captured=actual)
    hold.status, hold.settled_at, hold.captured_amount = locked.status, locked.settled_at, actual
    return True


@transaction.atomic
def hold_release(*, hold: Hold, reason: str = "", actor: User | None = None) -> bool:
    """Give a job's held credits back (it failed, was cancelled or expired). False, changing
    nothing, if the hold was already settled. ``actor``: the staff member releasing it by hand."""
    _lock_org(hold.org_id)
    locked = Hold.objects.select_for_update(of=("self",)).select_related("org").get(pk=hold.pk)
    if locked.status != Hold.Status.ACTIVE:
        return False
    moved = _move(locked.org_id, 0, -locked.amount)
    assert moved is not None  # holding less can't break balance >= held
    _entry(
        org=locked.org,
        moved=moved,
        kind=Kind.RELEASE,
        amount=0,
        held_delta=-locked.amount,
        key=f"release:{locked.pk}",
        description=locked.description,
        hold=locked,
        reason=reason.strip(),
        actor=actor,
    )
    _settle(locked, status=Hold.Status.RELEASED, captured=None)
    hold.status, hold.settled_at, hold.captured_amount = locked.status, locked.settled_at, None
    return True


EXPIRED_REASON = "The job didn't finish in time, so its credits were returned."


def holds_release_expired(*, now=None, batch: int = 500) -> int:
    """Release every active hold past its ``expires_at``; returns how many were released.

    Each hold is released in its own transaction (``hold_release`` is atomic), so one org's account
    lock is held only for its own release, and a crash part-way keeps what was done. Running it
    twice at once is safe: the second caller finds the holds settled and skips them.
    """
    now = now or timezone.now()
    released = 0
    last_pk = 0
    while True:
        holds = list(
            Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now, pk__gt=last_pk).order_by("pk")[:batch]
        )
        if not holds:
            return released
        for hold in holds:
            released += hold_release(hold=hold, reason=EXPIRED_REASON)
        last_pk = holds[-1].pk


# --- Invariants -----------------------------------------------------------------------------------


def ledger_problems(org: Organization | None = None) -> list[str]:
    """Every way the cached accounts disagree with the ledger; an empty list means all is well.

    Checks: balance == SUM(amount), held == SUM(held_delta) == SUM(active holds), balance >= held >= 0,
    each entry's balance_after/held_after equal the running sums, each hold's entries match its status.
    """
    problems: list[str] = []
    accounts = CreditAccount.objects.select_related("org")
    entries = LedgerEntry.objects.all()
    holds = Hold.objects.all()
    if org is not None:
        accounts, entries, holds = accounts.filter(org=org), entries.filter(org=org), holds.filter(org=org)

    accounts = accounts.annotate(
        ledger_balance=Coalesce(Sum("entries__amount"), 0),
        ledger_held=Coalesce(Sum("entries__held_delta"), 0),
    )
    active = dict(
        holds.filter(status=Hold.Status.ACTIVE)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    for account in accounts:
        name = f"{account.org} (account {account.pk})"
        if account.balance != account.ledger_balance:
            problems.append(f"{name}: balance {account.balance} but the ledger sums to {account.ledger_balance}")
        if account.held != account.ledger_held:
            problems.append(f"{name}: held {account.held} but the ledger's held changes sum to {account.ledger_held}")
        if account.held != active.get(account.pk, 0):
            problems.append(f"{name}: held {account.held} but its active holds total {active.get(account.pk, 0)}")
        if not 0 <= account.held <= account.balance:
            problems.append(f"{name}: balance {account.balance} and held {account.held} break balance >= held >= 0")

    running = entries.annotate(
        running_balance=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("id").asc()),
        running_held=Window(Sum("held_delta"), partition_by=[F("account_id")], order_by=F("id").asc()),
    ).values_list("id", "balance_after", "held_after", "running_balance", "running_held")
    for entry_id, balance_after, held_after, running_balance, running_held in running:
        if (balance_after, held_after) != (running_balance, running_held):
            problems.append(
                f"Ledger entry {entry_id}: says balance {balance_after}, held {held_after} after it; "
                f"the entries up to it sum to {running_balance}, {running_held}"
            )
    problems += [
        f"Ledger entry {pk} belongs to another organisation than its account"
        for pk in entries.exclude(org_id=F("account__org_id")).values_list("pk", flat=True)
    ]

    expected: dict[str, tuple[int, int, int]] = {
        Hold.Status.ACTIVE: (1, 0, 0),
        Hold.Status.CAPTURED: (1, 1, 0),
        Hold.Status.RELEASED: (1, 0, 1),
    }
    checked = holds.annotate(
        n_hold=Count("entries", filter=Q(entries__kind=Kind.HOLD)),
        n_capture=Count("entries", filter=Q(entries__kind=Kind.CAPTURE)),
        n_release=Count("entries", filter=Q(entries__kind=Kind.RELEASE)),
        charged=Coalesce(Sum("entries__amount", filter=Q(entries__kind=Kind.CAPTURE)), 0),
    ).values_list("pk", "status", "captured_amount", "n_hold", "n_capture", "n_release", "charged")
    for pk, status, captured, n_hold, n_capture, n_release, charged in checked:
        if (n_hold, n_capture, n_release) != expected[status]:
            problems.append(
                f"Hold {pk} is {status} but has {n_hold} hold, {n_capture} capture and {n_release} release entries"
            )
        if status == Hold.Status.CAPTURED and -charged != captured:
            problems.append(f"Hold {pk} says it captured {captured} but its capture entry charged {-charged}")
    return problems
