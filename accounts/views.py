from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError
from django.http import HttpResponse


class SignupView(allauth_views.SignupView):
    """allauth's sign-up: an invalid form is a 400, and so is losing a race for a name
    (accounts.services.sign_up)."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ValidationError as error:
            form.add_error("username", error)
            return self.form_invalid(form)

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
        return context


login = LoginView.as_view()
