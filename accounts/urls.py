from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

# Not namespaced: django.contrib.auth's views and LOGIN_URL refer to "login", "logout", ...
# Listed one by one: password reset needs mail, which the app does not send yet.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
