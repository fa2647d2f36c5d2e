"""Users, roles and data scopes.

`access.py` is THE gate: every scoped list starts at `scoped_queryset(actor, Model)`, every
single object comes through `access_object(actor, Model, pk, action)`, and every action is
checked by `require(actor, entity, action)`. No other module decides who sees what.
"""
