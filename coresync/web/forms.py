from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "inputmode": "email"})
    )


class SignupForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}))
    phone = forms.CharField(
        label="Phone (optional)", max_length=32, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common word.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists. Try signing in or resetting your password.")
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = get_user_model()(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class RescheduleDayForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))


class RescheduleSlotForm(forms.Form):
    start = forms.CharField(max_length=40)

    def clean_start(self):
        from datetime import datetime

        try:
            value = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError as error:
            raise forms.ValidationError("Choose one of the times offered.") from error
        if value.tzinfo is None or not 2000 <= value.year <= 9000:  # no overflow when read in another zone
            raise forms.ValidationError("Choose one of the times offered.")
        return value
