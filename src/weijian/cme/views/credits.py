"""CME pages: credits. Thin views: parse, call one service or selector, render."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
