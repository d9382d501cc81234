"""Keep the concierge's cached FAQ entries fresh when the admin edits them."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .selectors import FAQ_ENTRIES_KEY


def _forget_faq(**_kwargs) -> None:
    transaction.on_commit(lambda: cache.delete(FAQ_ENTRIES_KEY))


def connect() -> None:
    from .models import FaqEntry

    post_save.connect(_forget_faq, sender=FaqEntry, dispatch_uid="ai-faq-save")
    post_delete.connect(_forget_faq, sender=FaqEntry, dispatch_uid="ai-faq-delete")
