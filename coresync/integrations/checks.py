"""Startup checks of the integrations seam: every chosen provider exists."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .common.registry import registries


@checks.register(checks.Tags.compatibility)
def providers_known(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for registry in registries():
        name = registry.identifier
        try:
            registry.get(name)
        except ImproperlyConfigured as error:
            errors.append(checks.Error(str(error), id="coresync.E101", obj=registry.setting))
        except Exception as error:  # a provider that cannot even be built (missing keys) is the operator's to fix
            errors.append(checks.Error(f"{registry.setting}={name!r} cannot start: {error}", id="coresync.E102", obj=registry.setting))
    if settings.EMAIL_PROVIDER not in settings.EMAIL_PROVIDERS and "." not in settings.EMAIL_PROVIDER:
        errors.append(checks.Error(
            f"EMAIL_PROVIDER={settings.EMAIL_PROVIDER!r} is not an e-mail provider; choose one of {', '.join(sorted(settings.EMAIL_PROVIDERS))}",
            id="coresync.E103", obj="EMAIL_PROVIDER",
        ))  # fmt: skip
    return errors
