"""DRF token authentication that reads the caller and the member's active tier in one fixed statement.

Nearly every authenticated API call prices or windows something by the caller's
tier (availability, a booking, a quote), so the tier is read with the token
instead of in a second round trip; ``membership_tier_id_for`` finds it on the user.
The statement is written once (a raw query): building DRF's
``select_related`` lookup through the ORM cost more CPU than the round trip it saves.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from coresync.accounts.models import User

from .models import Membership
from .selectors import TIER_ID_ATTRIBUTE

_USER_WITH_TIER = (
    "SELECT u.*, (SELECT m.tier_id FROM memberships_membership m WHERE m.user_id = u.id AND m.status = %s"
    " ORDER BY m.id LIMIT 1) AS coresync_active_tier_id"
    " FROM accounts_user u JOIN authtoken_token t ON t.user_id = u.id WHERE t.key = %s"
)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        found = list(User.objects.raw(_USER_WITH_TIER, [Membership.Status.ACTIVE, key]))
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = found[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        setattr(user, TIER_ID_ATTRIBUTE, user.coresync_active_tier_id)
        return user, self.get_model()(key=key, user=user)
