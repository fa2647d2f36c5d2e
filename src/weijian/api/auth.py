from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from weijian.accounts.services import api_token_user


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer wj_...` — tokens are issued per user and stored only as SHA-256."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("令牌格式错误")
        user = api_token_user(parts[1].decode(errors="ignore"))
        if user is None:
            raise AuthenticationFailed("令牌无效、已过期或已吊销")
        return user, None

    def authenticate_header(self, request):
        return "Bearer"
