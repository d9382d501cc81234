"""The spa's diary outside CoreSync (SPEC §10.4): the three calendars and one per technician.

Locally they are token-protected iCalendar feeds (``/calendars/<name>.ics?token=…``),
built from the bookings on every request. With ``CALENDAR_PROVIDER=google`` every
booking is also mirrored into Google Calendar through the outbox, and what people
add in Google comes back as busy time (``ExternalBusyBlock``) through push
notifications and incremental sync. The database stays the source of truth: an
event of ours moved or deleted in Google is put back and the manager told.
"""
