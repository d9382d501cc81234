from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)
from coresync.accounts.security import PasswordResetView

from . import account_views, views
from .forms import EmailLoginForm

app_name = "web"

password_reset = [
    path(
        "accounts/password-reset/",
        PasswordResetView.as_view(  # rate-limited per address and per client (coresync.accounts.security)
            template_name="registration/password_reset_form.html",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("web:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html", success_url=reverse_lazy("web:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", views.index, name="index"),
    path("menssuite/", views.suite, {"slug": "menssuite"}, name="menssuite"),
    path("private/", views.suite, {"slug": "private"}, name="private"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("contact/", views.contact, name="contact"),
    path("legal/<slug:slug>/", views.legal, name="legal"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=EmailLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/bookings/", account_views.my_bookings, name="my-bookings"),
    path("accounts/bookings/<reference:reference>/", account_views.my_booking, name="my-booking"),
    path("accounts/bookings/<reference:reference>/cancel/", account_views.my_booking_cancel, name="my-booking-cancel"),
    path("accounts/membership/", account_views.my_membership, name="my-membership"),
    path("manage/<str:token>/", account_views.manage_booking, name="manage-booking"),
    *password_reset,
]
