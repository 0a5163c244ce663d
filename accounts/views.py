from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api import services as api_services
from api.models import Scope, Token
from calendars import services as calendar_services
from reminders import services as reminder_services

from . import services
from .forms import DeleteAccountForm, DigestForm, TimeZoneForm, TokenForm
from .models import Session, time_zone_of


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def sso_provider() -> dict[str, str] | None:
    """The single sign-on provider's button: its name and the URL its login form posts to."""
    if not settings.OIDC_PROVIDER_NAME:
        return None
    url = reverse("openid_connect_login", kwargs={"provider_id": settings.OIDC_PROVIDER_ID})
    return {"name": settings.OIDC_PROVIDER_NAME, "url": url}


class SignupView(allauth_views.SignupView):
    """allauth's sign-up: an invalid form is a 400, and so is losing a race for a name
    (accounts.services.sign_up)."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ValidationError as error:
            form.add_error("username", error)
            return self.form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso"] = sso_provider()
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


signup = SignupView.as_view()


class LoginView(allauth_views.LoginView):
    """allauth's login, which offers sign-up only while it is open."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["signup_open"] = get_adapter(self.request).is_open_for_signup(self.request)
        context["sso"] = sso_provider()
        return context


login = LoginView.as_view()


@login_required
@require_GET
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _account_page(request, TokenForm())


def _account_page(
    request: AuthenticatedHttpRequest,
    token_form: TokenForm,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = {
        "email_addresses": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "two_factor": Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists(),
        "sso_accounts": SocialAccount.objects.filter(user=user).order_by("provider"),
        "other_sessions": Session.objects.filter(user=user)
        .exclude(session_key=request.session.session_key)
        .count(),
        "tokens": Token.objects.of(user).unrevoked(),
        "token_form": token_form,
        "new_token": new_token,
        "now": timezone.now(),
        "time_zone_form": TimeZoneForm(initial={"time_zone": time_zone_of(user)}),
        "digest_form": DigestForm.of(user),
        "calendar_feed_url": request.build_absolute_uri(
            reverse("calendars:feed", kwargs={"token": calendar_services.feed_of(user=user).token})
        ),
    }
    response = render(request, "accounts/account.html", context, status=status)
    # The page holds the calendar feed's secret address: no cache may keep it.
    patch_cache_control(response, no_store=True)
    return response


@login_required
@require_POST
def create_token(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new token is on this response only (it is not stored): the page, not a redirect."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, form, status=400)
    created = api_services.create_token(
        user=request.user,
        name=form.cleaned_data["name"],
        scope=Scope(form.cleaned_data["scope"]),
        expires_at=form.expires_at(),
    )
    return _account_page(request, TokenForm(), new_token=created.secret)


@login_required
@require_POST
def revoke_token(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(Token.objects.of(request.user).unrevoked(), pk=token_id)
    api_services.revoke_token(token=token)
    messages.success(request, f"Revoked the token “{token.name}”.")
    return redirect("account")


@login_required
@require_POST
def time_zone(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        chosen = form.cleaned_data["time_zone"]
        services.set_time_zone(user=request.user, time_zone=chosen)
        messages.success(request, f"Your time zone is now {chosen}.")
    else:
        messages.error(request, "Choose a time zone from the list.")
    return redirect("account")


@login_required
@require_POST
def digest(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DigestForm(request.POST)
    if form.is_valid():
        hour = form.hour_or_none()
        reminder_services.set_digest(user=request.user, hour=hour)
        if hour is None:
            messages.success(request, "Your daily digest is off.")
        else:
            messages.success(request, f"Your daily digest comes at {hour:02d}:00 each day.")
    else:
        messages.error(request, "Choose an hour from the list.")
    return redirect("account")


@login_required
@require_POST
def reset_calendar_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    calendar_services.reset_feed(user=request.user)
    messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect("account")


@login_required
@require_POST
def end_other_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = services.end_sessions(user=request.user, keep=request.session.session_key)
    messages.success(request, f"Logged out {ended} other session{pluralize(ended)}.")
    return redirect("account")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, request=request, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user)
        logout(request)
        messages.success(request, "Your account and its lists are deleted.")
        return redirect("account_login")
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
