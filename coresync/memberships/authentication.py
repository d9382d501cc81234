"""DRF token authentication that reads the member's active tier in the same query.

Nearly every authenticated API call prices or windows something by the caller's
tier (availability, a booking, a quote), so the tier is read with the token
instead of in a second round trip; ``membership_tier_id_for`` finds it on the user.
"""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import Membership
from .selectors import TIER_ID_ATTRIBUTE


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        active_tier = Membership.objects.filter(user_id=OuterRef("user_id"), status=Membership.Status.ACTIVE).order_by("pk")
        try:
            token = model.objects.select_related("user").annotate(active_tier_id=Subquery(active_tier.values("tier_id")[:1])).get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        setattr(token.user, TIER_ID_ATTRIBUTE, token.active_tier_id)
        return token.user, token
