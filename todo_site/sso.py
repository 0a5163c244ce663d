"""Single sign-on settings: allauth's generic OpenID Connect provider, configured by environment."""

from __future__ import annotations

from urllib.parse import urlsplit

# The one provider's id in its URLs: its callback is /accounts/oidc/sso/login/callback/.
PROVIDER_ID = "sso"


def openid_connect(*, name: str, server_url: str, client_id: str, secret: str) -> dict[str, object]:
    """SOCIALACCOUNT_PROVIDERS["openid_connect"] for one provider: the authorization-code flow
    with PKCE, the endpoints from the provider's discovery document under ``server_url``."""
    return {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": PROVIDER_ID,
                "name": name,
                "client_id": client_id,
                "secret": secret,
                "settings": {"server_url": server_url},
            }
        ],
    }


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
