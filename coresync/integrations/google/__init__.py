"""Google Calendar (google-api-python-client) and Google Sheets (gspread): the vendor edge only.

Everything here speaks in plain dicts and dataclasses; what a booking looks like in
a calendar, and what a sheet's rows mean, is decided by the apps above
(``coresync.calendars``, ``coresync.sheets``). Credentials come from the service
account file Google issues (``GOOGLE_SERVICE_ACCOUNT_FILE`` or ``_JSON``), API calls
go to ``GOOGLE_API_BASE`` when it is set (tests, mocks).
"""
