from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The manager's dashboard: revenue, bookings by channel, members, utilisation, the concierge funnel."""

    name = "coresync.analytics"
    label = "analytics"
    verbose_name = "Analytics"
