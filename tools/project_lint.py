"""Project lint rules that ruff cannot express: each is a pattern, where it applies, and why.

Run by `make test`. A rule lists a bad and a good example so the fix is obvious.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "weijian"
SCOPED_MODELS = ("Worker", "Institution", "Division", "AuditEvent", "ImportJob")
INTERFACE_FILES = ("views.py", "admin_views.py", "api.py", "tasks.py")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    applies: callable
    why: str
    bad: str
    good: str


def _interface(path: Path) -> bool:
    return path.name in INTERFACE_FILES or "/api/" in path.as_posix() or "/management/commands/" in path.as_posix()


RULES = (
    Rule(
        "scoped-model-in-interface",
        re.compile(r"\b(" + "|".join(SCOPED_MODELS) + r")\.objects\b"),
        lambda p: _interface(p) and "/management/commands/" not in p.as_posix(),
        "views and API code fetch scoped rows only through selectors / accounts.access",
        "Worker.objects.get(pk=pk)",
        "worker_get(actor=request.user, pk=pk)",
    ),
    Rule(
        "no-print",
        re.compile(r"^\s*print\("),
        lambda p: "/management/commands/" not in p.as_posix() and p.name != "cli.py",
        "use logging (redacted) or the command's stdout",
        'print("done")',
        'logger.info("done")',
    ),
    Rule(
        "no-plain-id-number-field",
        re.compile(r"id_number\s*=\s*models\.CharField"),
        lambda p: p.name == "models.py",
        "ID numbers are stored encrypted with a blind index, never in clear",
        "id_number = models.CharField(max_length=18)",
        "id_number_encrypted = models.TextField(); id_number_index = models.CharField(...)",
    ),
    Rule(
        "no-signals",
        re.compile(r"from django\.db\.models\.signals import|@receiver\("),
        lambda p: True,
        "domain flow is called explicitly, not through signals (conventions rule 8)",
        "@receiver(post_save, sender=Worker)",
        "call the follow-up from the service",
    ),
    Rule(
        "no-cdn",
        re.compile(r"https?://[^\"' ]*(cdn|unpkg|jsdelivr|googleapis|bootcdn|staticfile)"),
        lambda p: True,
        "the product runs on an isolated intranet: assets are served locally",
        '<script src="https://cdn.jsdelivr.net/...">',
        "{% static 'vendor/...' %}",
    ),
    Rule(
        "no-logging-sensitive",
        re.compile(r"logger\.\w+\([^)]*(id_number|password|token)\b"),
        lambda p: True,
        "nothing sensitive in logs",
        'logger.info("worker %s", id_number)',
        'logger.info("worker %s", worker.pk)',
    ),
)


def check(paths) -> list[str]:
    problems = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for rule in RULES:
            if not rule.applies(path):
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if rule.pattern.search(line) and "lint: allow" not in line:
                    rel = path.relative_to(ROOT)
                    problems.append(f"{rel}:{number}: [{rule.name}] {rule.why}\n    bad:  {rule.bad}\n"
                                    f"    good: {rule.good}")
    return problems


def main() -> int:
    files = [p for p in SRC.rglob("*") if p.suffix in (".py", ".html") and "migrations" not in p.parts
             and "static" not in p.parts]
    problems = check(files)
    for problem in problems:
        sys.stderr.write(problem + "\n")
    sys.stdout.write(f"project lint: {len(files)} files, {len(problems)} problems\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
