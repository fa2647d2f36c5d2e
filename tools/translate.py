"""Fill the English catalogue from a JSON file of translations, then compile it.

    uv run python tools/translate.py my-strings.json

The JSON maps each Chinese msgid to its English text; a msgid with a context is written
"context\u0004msgid" (the gettext convention). Only empty or fuzzy entries are filled (a fuzzy
entry is makemessages' guess from a similar string, usually wrong), so running it twice, or with
another engineer's file, changes nothing already translated.
Run `make messages` first so the catalogue holds the new strings; run `make check` after.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src" / "weijian" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unquote(line: str) -> str:
    return line[line.index('"') + 1: line.rindex('"')].encode("raw_unicode_escape").decode("unicode_escape")


def _unfuzzy(line: str) -> str:
    """'#, fuzzy, python-format' -> '#, python-format'."""
    return line.replace("fuzzy, ", "") if line.startswith("#, ") else line


def fill(po_text: str, translations: dict[str, str]) -> tuple[str, int, list[str]]:
    """Return the new .po text, the number of entries filled and the msgids still empty."""
    blocks, filled, missing = po_text.split("\n\n"), 0, []
    for index, block in enumerate(blocks):
        lines = block.split("\n")
        context, msgid, key, msgstr_at = None, None, None, None
        for at, line in enumerate(lines):
            if line.startswith("msgctxt "):
                context, key = _unquote(line), "ctx"
            elif line.startswith("msgid "):
                msgid, key = _unquote(line), "id"
            elif line.startswith("msgstr "):
                msgstr_at, key = at, "str"
            elif line.startswith('"') and key == "id":
                msgid += _unquote(line)
            elif line.startswith('"') and key == "str":
                msgstr_at = None  # a multi-line msgstr is already filled
        fuzzy = "#, fuzzy" in block
        if not msgid or msgstr_at is None or "\nmsgid_plural " in "\n" + block:
            continue
        if lines[msgstr_at] != 'msgstr ""' and not fuzzy:
            continue
        english = translations.get(f"{context}\u0004{msgid}" if context else msgid)
        if english is None:
            missing.append(msgid)
            continue
        lines[msgstr_at] = "msgstr " + _quote(english)
        blocks[index] = "\n".join(_unfuzzy(line) for line in lines if line != "#, fuzzy" and not line.startswith("#| "))
        filled += 1
    return "\n\n".join(blocks), filled, missing


def main() -> int:
    translations = {}
    for name in sys.argv[1:]:
        translations.update(json.loads(Path(name).read_text(encoding="utf-8")))
    text, filled, missing = fill(PO.read_text(encoding="utf-8"), translations)
    PO.write_text(text, encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(PO.with_suffix(".mo")), str(PO)], check=True)
    sys.stdout.write(f"filled {filled}; still empty {len(missing)}\n")
    for msgid in missing:
        sys.stdout.write(f"  {msgid!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
