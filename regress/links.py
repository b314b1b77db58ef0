"""Relative links of a report page and the ones that point at nothing.

The report folder is archived by CI and opened elsewhere, so every log, wave, replay
script and lcov page is linked relative to the page; a link that does not resolve to a
file inside the archive is a broken report.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def page_links(page: Path) -> list[str]:
    """Every href/src of *page*, in document order."""
    parser = _Links()
    parser.feed(Path(page).read_text(errors="replace"))
    return parser.links


def is_external(link: str) -> bool:
    """A link that loads from outside the page's folder (network, absolute path)."""
    parts = urlsplit(link)
    return bool(parts.scheme and parts.scheme != "data") or link.startswith(("//", "/"))


def dangling_links(page: Path) -> list[str]:
    """Links of *page* that are external, leave its folder or do not resolve to an
    existing file (data: URIs and in-page anchors are fine)."""
    folder = Path(page).parent.resolve()
    bad = []
    for link in page_links(page):
        if link.startswith(("data:", "#")):
            continue
        if is_external(link):
            bad.append(link)
            continue
        target = (Path(page).parent / unquote(urlsplit(link).path)).resolve()
        if not target.is_file() or not target.is_relative_to(folder):
            bad.append(link)
    return list(dict.fromkeys(bad))
