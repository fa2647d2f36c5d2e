"""The translation catalogue is complete and compiled. Run by `make test`.

- every msgid in the English .po has a msgstr and none is fuzzy;
- the committed .mo says the same as the .po (read back through Python's gettext);
- when GNU xgettext is installed, `makemessages` finds no string that the .po lacks.
"""

import gettext
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "weijian" / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(line: str) -> str:
    return line[line.index('"') + 1: line.rindex('"')].encode("raw_unicode_escape").decode("unicode_escape")


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr[n], flags."""
    entries, current, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        current = current or {"flags": "", "strs": {}}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt"):
            key = None
            current["context"] = _unquote(line)
        elif line.startswith("msgid_plural"):
            key = "plural"
            current["plural"] = _unquote(line)
        elif line.startswith("msgid"):
            key = "msgid"
            current["msgid"] = _unquote(line)
        elif line.startswith("msgstr"):
            idx = line[7] if line.startswith("msgstr[") else "0"
            key = ("str", idx)
            current["strs"][idx] = _unquote(line)
        elif line.startswith('"') and key:
            if key in ("msgid", "plural"):
                current[key] += _unquote(line)
            else:
                current["strs"][key[1]] += _unquote(line)
    return [e for e in entries if e["msgid"]]


def _lookup(catalog: gettext.GNUTranslations, entry: dict) -> str:
    if "context" in entry:
        return catalog.pgettext(entry["context"], entry["msgid"])
    return catalog.gettext(entry["msgid"])


def main() -> int:
    problems = []
    if not PO.exists() or not MO.exists():
        sys.stderr.write(f"missing {PO} or {MO}: run `make messages`\n")
        return 1
    entries = parse_po(PO)
    catalog = gettext.GNUTranslations(MO.open("rb"))
    for entry in entries:
        msgid = entry["msgid"]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(entry["strs"].values()):
            problems.append(f"untranslated: {msgid!r}")
        elif "plural" not in entry and _lookup(catalog, entry) != entry["strs"]["0"]:
            problems.append(f".mo is stale for {msgid!r}: run `make messages`")
    if shutil.which("xgettext"):
        problems += _missing_from_po({(e.get("context"), e["msgid"]) for e in entries})
    for problem in problems:
        sys.stderr.write(problem + "\n")
    sys.stdout.write(f"messages: {len(entries)} entries, {len(problems)} problems\n")
    return 1 if problems else 0


def _missing_from_po(known: set[tuple]) -> list[str]:
    """Run makemessages on a copy of the catalogue and list msgids the committed one lacks."""
    backup = Path(tempfile.mkdtemp()) / "django.po"
    shutil.copy2(PO, backup)
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "en", "--ignore", "static/*"],
            cwd=ROOT / "src" / "weijian", check=True, capture_output=True,
        )
        fresh = {(e.get("context"), e["msgid"]) for e in parse_po(PO)}
    finally:
        shutil.copy2(backup, PO)
    return [f"not in catalogue (run `make messages` and translate): {m!r}" for _, m in sorted(fresh - known,
                                                                                            key=str)]


if __name__ == "__main__":
    sys.exit(main())
