"""Research project management (科研项目): calls for applications, applications routed from the
principal investigator through the institution to the commission, the expert pool with conflict-free
assignment and blind scoring, ethics approvals, and integrity sanctions enforced at every gate.

Offers other apps: `rules.blocking_reason` / `services.sanctions_of` (whether a person is barred,
e.g. from hosting a CME project) and, later, `indicators.py` for target assessment.
"""
