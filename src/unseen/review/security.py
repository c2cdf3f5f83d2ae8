"""The review page's guards: a random token on every request, Host and Origin checked (no DNS
rebinding, no cross-site requests), a strict Content-Security-Policy, and loopback-only binding."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigError

TOKEN_PARAM = "token"
TOKEN_HEADER = "x-unseen-token"
COOKIE = "unseen_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self'; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool) -> str | None:
    """Refuse a non-loopback address unless ``allow_remote``; return a warning line when allowed."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise ConfigError(
            f"--host {host!r}: the review page binds loopback only (127.0.0.1); pass --allow-remote to bind "
            "another address (anyone who can reach it and has the token sees your footage)"
        )
    return (
        f"warning: the review page is bound to {host}, not loopback: whoever reaches it with the token sees the files"
    )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class Guard:
    """ASGI middleware: Host must name the bound address, Origin (when sent) must be this page, and
    the token must come as ``?token=`` (then set as a cookie), an ``X-Unseen-Token`` header or the
    cookie. Every response gets the security headers."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: set[str]):
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts}

    def _host_ok(self, host: str) -> bool:
        return host.lower() in self.hosts

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self._host_ok(host):
            await _deny(send, 421, "unknown Host (the page answers only to the address it printed)")
            return
        origin = headers.get("origin")
        if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
            await _deny(send, 403, "cross-origin request refused")
            return
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            await _deny(send, 403, "cross-site request refused")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get(TOKEN_PARAM) or [None])[0]
        from_query = given is not None
        if given is None:
            given = headers.get(TOKEN_HEADER)
        if given is None and "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:
                jar = SimpleCookie()
            if COOKIE in jar:
                given = jar[COOKIE].value
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            await _deny(send, 401, "missing or wrong token (open the URL unseen review printed)")
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = list(SECURITY_HEADERS)
                if from_query:
                    cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    extra.append((b"set-cookie", cookie.encode()))
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _deny(send: Any, status: int, text: str) -> None:
    body = (text + "\n").encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})
