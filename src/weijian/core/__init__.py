"""The kernel: base model, errors, crypto primitives, log redaction, list/export helpers, task wrapper.

Imports no domain app; every domain app may import it.
"""
