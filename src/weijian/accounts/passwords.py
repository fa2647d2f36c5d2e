import re

from django.core.exceptions import ValidationError


class ComplexityValidator:
    """At least three of: lower case, upper case, digits, symbols (等保 2.0 common practice)."""

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < 3:
            raise ValidationError("密码须包含大写字母、小写字母、数字、符号中的至少三类", code="password_too_simple")

    def get_help_text(self):
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
