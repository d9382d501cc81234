"""The manager's privacy desk: answer an access request (download everything we hold) or erase a customer."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from coresync.core.errors import ApplicationError
from coresync.core.ratelimit import hit, too_many_requests

from .models import PrivacyRequest
from .services import personal_data_erase, personal_data_export, subject_digest


class SubjectForm(forms.Form):
    email = forms.EmailField(label="Customer's e-mail address")
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. the customer's request of 2 Dec, by e-mail")


class EraseForm(SubjectForm):
    confirm = forms.CharField(label='Type "ERASE" to confirm', max_length=10)

    def clean_confirm(self):
        if self.cleaned_data["confirm"] != "ERASE":
            raise forms.ValidationError('Type ERASE in capitals: an erasure cannot be undone.')
        return self.cleaned_data["confirm"]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "short_digest", "requested_by", "reason", "summary"]
    list_filter = ["kind", "created_at"]
    search_fields = ["subject_digest", "reason"]
    readonly_fields = [f.name for f in PrivacyRequest._meta.fields]
    change_list_template = "admin/privacy/privacyrequest/change_list.html"

    @admin.display(description="subject (digest)")
    def short_digest(self, obj):
        return f"{obj.subject_digest[:12]}…"

    def has_add_permission(self, request):
        return False  # requests are recorded by answering them (the two buttons), never typed in

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """Searching an e-mail address finds its requests through the digest (the address itself is never stored)."""
        if "@" in search_term:
            return queryset.filter(subject_digest=subject_digest(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        own = [
            path("export/", self.admin_site.admin_view(self.export_view), name="privacy_export"),
            path("erase/", self.admin_site.admin_view(self.erase_view), name="privacy_erase"),
        ]
        return own + super().get_urls()

    def _allowed(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or getattr(request.user, "role", "") == "manager")

    def export_view(self, request):
        if not self._allowed(request):
            return HttpResponse("Only a manager can answer privacy requests.", status=403)
        if request.method == "POST" and (wait := hit("privacy", f"user:{request.user.pk}", settings.PRIVACY_EXPORT_RATE_LIMIT)):
            return too_many_requests(wait)
        form = SubjectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                data = personal_data_export(form.cleaned_data["email"], actor=request.user, reason=form.cleaned_data["reason"], request=request)
            except ApplicationError as error:
                form.add_error("email", error.message)
            else:
                response = HttpResponse(json.dumps(data, indent=1, ensure_ascii=False), content_type="application/json")
                response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
                return response
        return TemplateResponse(request, "admin/privacy/form.html", {**self.admin_site.each_context(request), "form": form,
                                "title": "Export a customer's personal data", "button": "Download (JSON)", "opts": self.model._meta})  # fmt: skip

    def erase_view(self, request):
        if not self._allowed(request):
            return HttpResponse("Only a manager can answer privacy requests.", status=403)
        if request.method == "POST" and (wait := hit("privacy", f"user:{request.user.pk}", settings.PRIVACY_EXPORT_RATE_LIMIT)):
            return too_many_requests(wait)
        form = EraseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                counts = personal_data_erase(form.cleaned_data["email"], actor=request.user, reason=form.cleaned_data["reason"], request=request)
            except ApplicationError as error:
                form.add_error("email", error.message)
            else:
                touched = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n) or "nothing was held"
                messages.success(request, f"Erased: {touched}. Bookings and payments keep their amounts for the books.")
                return redirect("admin:privacy_privacyrequest_changelist")
        return TemplateResponse(request, "admin/privacy/form.html", {**self.admin_site.each_context(request), "form": form,
                                "title": "Erase a customer's personal data", "button": "Erase", "danger": True,
                                "opts": self.model._meta})  # fmt: skip
