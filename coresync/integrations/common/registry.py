"""The one way a provider is chosen: a ``<KIND>_PROVIDER`` setting names it, a table maps names to classes.

Every seam (payments, calendar, accounting, mail) declares one ``ProviderRegistry``
with the names it knows as dotted paths, so no vendor module is imported until it
is chosen and no layer below the vendor's imports it. The setting's default rule
lives in settings.py and is the same for every kind: the vendor when its keys are
set, the useful local default otherwise. Instances are cached per name and dropped
when the setting changes (``override_settings`` in tests), so nothing else keeps a
second cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

__all__ = ["ProviderRegistry", "registries"]

T = TypeVar("T")

_REGISTRIES: list[ProviderRegistry] = []


class ProviderRegistry(Generic[T]):
    def __init__(self, kind: str, *, setting: str, providers: dict[str, str], settings_prefixes: tuple[str, ...] = ()):
        self.kind, self.setting = kind, setting
        self._prefixes = (setting, *settings_prefixes)  # a change of any of these settings drops the instances
        self._paths: dict[str, str | Callable[[], T]] = dict(providers)
        self._instances: dict[str, T] = {}
        _REGISTRIES.append(self)

    def register(self, identifier: str, factory: str | Callable[[], T]) -> None:
        """Add a provider that lives above the seam (e.g. the local payment gateway in ``coresync.payments``)."""
        self._paths[identifier] = factory
        self._instances.pop(identifier, None)

    @property
    def identifier(self) -> str:
        """The chosen provider's name."""
        return getattr(settings, self.setting)

    def names(self) -> list[str]:
        return sorted(self._paths)

    def get(self, identifier: str | None = None) -> T:
        """The chosen provider, or the one named (a row created under another provider is served by that one)."""
        name = identifier or self.identifier
        instance = self._instances.get(name)
        if instance is None:
            factory = self._paths.get(name) or (name if "." in name else None)  # a dotted path names a class directly
            if factory is None:
                raise ImproperlyConfigured(
                    f"{self.setting}={name!r} is not a {self.kind} provider; choose one of {', '.join(self.names())}"
                )
            instance = self._instances[name] = (import_string(factory) if isinstance(factory, str) else factory)()
        return instance

    def reset(self) -> None:
        self._instances.clear()


def registries() -> list[ProviderRegistry]:
    """Every seam's registry, for health pages and startup checks."""
    return list(_REGISTRIES)


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    for registry in _REGISTRIES:
        if setting.startswith(registry._prefixes):
            registry.reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="coresync.integrations.registry")
