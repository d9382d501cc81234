from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from coresync.core.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField, EncryptedEmailField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.MANAGER)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(BlindIndexedModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in: customer, technician or manager. Logs in by e-mail."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        TECHNICIAN = "technician", "Technician"
        MANAGER = "manager", "Manager"

    # Personal data is encrypted at rest (coresync.core.fields); the e-mail and phone are found through
    # their keyed blind indexes, which also hold the e-mail's uniqueness.
    email = EncryptedEmailField(unique=True, blind_index="email_bidx")
    email_bidx = BlindIndexField(source="email", kind="email", unique=True)
    name = EncryptedCharField(max_length=150, blank=True)
    phone = EncryptedCharField(max_length=32, blank=True, blind_index="phone_bidx", index_kind="phone")
    phone_bidx = BlindIndexField(source="phone", kind="phone", db_index=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["date_joined", "id"]  # not by e-mail: it is ciphertext in the database

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name or self.email).split(" ")[0]

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER or self.is_superuser

    @property
    def is_technician(self) -> bool:
        return self.role == self.Role.TECHNICIAN
