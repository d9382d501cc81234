"""Signed manage-booking links: they live in ``coresync.core.links`` (shared with the e-mails); re-exported here."""

from coresync.core.links import (  # noqa: F401
    MAX_AGE_SECONDS,
    SALT,
    booking_manage_lookup,
    booking_manage_path,
    booking_manage_token,
    booking_manage_url,
)
