from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "coresync.sheets"
    verbose_name = "Google Sheets"
    default_auto_field = "django.db.models.BigAutoField"
