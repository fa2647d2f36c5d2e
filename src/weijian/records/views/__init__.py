"""The health-record pages (健康档案): finding residents and their timeline, emergency access, upload batches,
data sources and clinical grants. Each module declares its own `urlpatterns`; `records/urls.py` joins them.

Thin views: they parse input, call one selector (`records.timeline`, the gate's `scoped_queryset` /
`access_object`) or one service (`records.services`, `records.sources`), and render. Who sees what is decided
by `accounts.access`; a refusal by a service comes back on the page with status 422 and its Chinese message.
"""
