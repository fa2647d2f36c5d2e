from django.conf import settings
from django.core.checks import Error, Tags, register

from weijian.settings import env


@register(Tags.security)
def production_secrets(app_configs, **kwargs):
    """Outside demo/debug the secret key and field keys must be set explicitly."""
    if settings.DEBUG or settings.DEMO_MODE:
        return []
    errors = []
    if settings.SECRET_KEY == env.DEMO_SECRET:
        errors.append(Error("WEIJIAN_SECRET_KEY is not set", id="weijian.E001"))
    if not settings.FIELD_ENCRYPTION["keys"] or not settings.FIELD_ENCRYPTION["blind_index_key"]:
        errors.append(Error("WEIJIAN_FIELD_KEYS and WEIJIAN_BLIND_INDEX_KEY must be set", id="weijian.E002"))
    return errors


@register()
def encryption_settings(app_configs, **kwargs):
    conf = settings.FIELD_ENCRYPTION
    errors = []
    if conf["cipher"].upper() not in {"SM4-GCM", "AES-GCM"}:
        errors.append(Error("WEIJIAN_FIELD_CIPHER must be SM4-GCM or AES-GCM", id="weijian.E003"))
    if conf["blind_index_hash"].upper() not in {"HMAC-SM3", "HMAC-SHA256"}:
        errors.append(Error("WEIJIAN_BLIND_INDEX_HASH must be HMAC-SM3 or HMAC-SHA256", id="weijian.E004"))
    return errors
