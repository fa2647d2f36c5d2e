"""Where the current request comes from (client address, channel), for the audit log.

Set by `RequestContextMiddleware` for pages and API, by the CLI for commands, by jobs
for background work; read only by `audit.services`.
"""

import contextlib
from contextvars import ContextVar

from django.conf import settings

_client_address: ContextVar[str] = ContextVar("client_address", default="")
_channel: ContextVar[str] = ContextVar("channel", default="system")


def client_address() -> str:
    return _client_address.get()


def channel() -> str:
    return _channel.get()


@contextlib.contextmanager
def request_origin(*, address: str, channel_name: str):
    a = _client_address.set(address)
    c = _channel.set(channel_name)
    try:
        yield
    finally:
        _client_address.reset(a)
        _channel.reset(c)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Behind a reverse proxy REMOTE_ADDR is the proxy, which passes the client in X-Real-IP;
        # the header is trusted only when the deployment says so (WEIJIAN_TRUST_X_REAL_IP).
        address = request.META.get("REMOTE_ADDR", "")
        if settings.TRUST_X_REAL_IP:
            address = request.META.get("HTTP_X_REAL_IP") or address
        name = "api" if request.path.startswith("/api/") else "web"
        with request_origin(address=address, channel_name=name):
            return self.get_response(request)
