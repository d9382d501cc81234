"""The owner's Google Sheets (SPEC §10.4): prices in, hours and the outbox queue out.

- Pricing (``PRICING_SOURCE=sheets``): the five tabs read in one ``batch_get`` and
  validated by the catalog's importer (all or nothing), every 5 minutes and on the
  sheet's change webhook; each accepted change is kept as a ``PriceVersion``.
- Queue sheet: the outbox as three tabs (Pending, Synced, Errors), rewritten in two
  requests per minute at most.
- Hours sheet: the technicians' work logs (tabs Technicians, Hours, Bookings, Availability).
"""
