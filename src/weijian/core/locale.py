"""Simplified Chinese unless the user chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so an English-language browser
would get English pages. Weijian is Chinese by default: only the language the user picked with
the switch (Django's language cookie, set by /i18n/setlang/) changes it.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()  # a pooled thread must not carry this user's language onward
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
