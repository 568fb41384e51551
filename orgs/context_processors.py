from django.utils.functional import SimpleLazyObject


def org_nav(request):
    """The caller's memberships for the org switcher, queried only if a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        from orgs.selectors import memberships_for_user

        return list(memberships_for_user(user))

    return {"user_memberships": SimpleLazyObject(memberships)}
