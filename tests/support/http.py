"""The one HTTP client for a real server (live app, Compose stack, bench): cookies and CSRF.

It follows no redirects, so a test sees each 302 and where it points. Django is imported only
by ``session_cookies``, so the bench can use the client outside a configured project.
"""

from __future__ import annotations

import http.client
import secrets
import ssl
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str]  # those this response set

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class HttpClient:
    """One browser: keeps its cookies; every POST carries a CSRF token matching its cookie."""

    def __init__(
        self,
        base_url: str,
        cookies: dict[str, str] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        # https:// URLs are verified against `tls` (e.g. a context trusting a test CA).
        self.tls = (tls or ssl.create_default_context()) if parts.scheme == "https" else None
        self.port = parts.port or (443 if self.tls else 80)
        # An unmasked 32-character secret is a valid token both in the cookie and in the form.
        self.csrf_token = secrets.token_hex(16)
        self.cookies = {"csrftoken": self.csrf_token, **(cookies or {})}

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        *,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", "Connection": "close", **(headers or {})}
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if method == "POST":
            body = urlencode({"csrfmiddlewaretoken": self.csrf_token, **(data or {})}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = (
            http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.tls)
            if self.tls
            else http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            payload = raw.read()
            response_headers = {name.lower(): value for name, value in raw.getheaders()}
            set_cookies = {}
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    set_cookies[name] = morsel.value
            self.cookies.update(set_cookies)
            self.csrf_token = self.cookies["csrftoken"]
            return Response(raw.status, response_headers, payload, set_cookies)
        finally:
            conn.close()

    def get(
        self, path: str, *, timeout: float = 30, headers: dict[str, str] | None = None
    ) -> Response:
        return self.request("GET", path, timeout=timeout, headers=headers)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return self.request("POST", path, data, timeout=timeout, headers=headers)


def session_cookies(user: User) -> dict[str, str]:
    """A logged-in session for ``user``, stored in the database the server reads."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}
