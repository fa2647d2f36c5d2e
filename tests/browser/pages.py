"""Reading Weijian's list pages in a browser test (the shared `web/list.html` table)."""

import re


def total(page) -> int:
    """The row count in the table caption (共 N 条)."""
    caption = page.locator("table caption").inner_text()
    return int(re.search(r"\d+", caption.replace(",", "")).group())


def column(page, header: str) -> list[str]:
    """The texts of one column on the current page of the table, found by its header."""
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    index = headers.index(header)
    return [t.strip() for t in page.locator(f"table tbody tr td:nth-child({index + 1})").all_inner_texts()]


def nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("nav .navbar-nav .nav-link").all_inner_texts() if t.strip()]
