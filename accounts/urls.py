from django.urls import include, path
from django.views.generic import RedirectView

from . import views

# Not namespaced: allauth's views and LOGIN_URL refer to "account_login", "account_signup", ...
urlpatterns = [
    # allauth's sign-up and login, adjusted (views.SignupView, views.LoginView); same names and
    # paths, listed first so that they win.
    path("signup/", views.signup, name="account_signup"),
    path("login/", views.login, name="account_login"),
    # The address of the password change page before allauth.
    path(
        "password_change/",
        RedirectView.as_view(pattern_name="account_change_password", permanent=True),
    ),
    path("", views.account, name="account"),
    path("time-zone/", views.time_zone, name="account_time_zone"),
    path("digest/", views.digest, name="account_digest"),
    path("calendar/reset/", views.reset_calendar_feed, name="account_reset_calendar_feed"),
    path("sessions/end-others/", views.end_other_sessions, name="account_end_other_sessions"),
    path("delete/", views.delete_account, name="account_delete"),
    path("tokens/", views.create_token, name="account_create_token"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="account_revoke_token"),
    path("", include("allauth.urls")),
]
