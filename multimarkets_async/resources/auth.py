"""Authentication (vendor tag "Auth")."""

from __future__ import annotations

from .._auth import AUTH
from ..models import CompanyProfile
from ._base import Endpoint, Resource

__all__ = ["AuthResource"]


class AuthResource(Resource):
    """The token itself is handled by the client; this logs in explicitly."""

    async def login(self) -> CompanyProfile:
        """Authenticate now (replacing any token held) and return the company profile.

        Not needed for normal use: the client logs in on first use and again when the server
        says the token expired.
        """
        return await self._backend.login()


ENDPOINTS = (Endpoint("auth", AUTH, "auth.login"),)
