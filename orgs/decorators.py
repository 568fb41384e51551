from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from orgs.models import Role
from orgs.selectors import membership_for, pending_deletion_message

ROLE_DENIED_MESSAGES = {
    Role.MEMBER: "Viewers can look but not change things here. Ask an admin to make you a member.",
    Role.ADMIN: "Only owners and admins can do this. Ask one of them if you need it done.",
    Role.OWNER: "Only an owner of this organisation can do this.",
}


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def org_view(min_role: str = Role.VIEWER, *, while_deleting: bool = False):
    """Resolve ``org_slug`` to the caller's membership once, check the role, and set
    ``request.org`` / ``request.membership``.

    Not a member (or no such org): 404, the same answer for both. Member without the role: 403.
    An organisation scheduled for deletion is read-only: a write (POST …) is a 403 saying so,
    except on the views marked ``while_deleting`` (undoing it, exporting the data first).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, org_slug: str, *args, **kwargs):
            membership = membership_for(request.user, org_slug)
            if membership is None:
                raise Http404("No organisation here, or you aren't a member of it.")
            if not membership.has_role(min_role):
                raise PermissionDenied(ROLE_DENIED_MESSAGES[Role(min_role)])
            if membership.org.deletion_due_at and request.method not in SAFE_METHODS and not while_deleting:
                raise PermissionDenied(pending_deletion_message(membership.org))
            request.org = membership.org
            request.membership = membership
            if request.user.last_org_id != membership.org_id:
                User.objects.filter(pk=request.user.pk).update(last_org=membership.org)
            return view(request, *args, **kwargs)

        # Functions take attributes; typeshed's functools._Wrapped declares none.
        wrapper.org_min_role = min_role  # type: ignore[attr-defined]
        return wrapper

    return decorator
