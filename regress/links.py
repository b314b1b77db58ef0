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
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            elif name == "id" and value:
                self.ids.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(Path(page).read_text(errors="replace"))
    return parser


def page_links(page: Path) -> list[str]:
    """Every href/src of *page*, in document order."""
    return _parse(page).links


def duplicate_ids(page: Path) -> list[str]:
    """Element ids used more than once in *page* (an anchor to one of them is ambiguous)."""
    seen: dict[str, int] = {}
    for i in _parse(page).ids:
        seen[i] = seen.get(i, 0) + 1
    return [i for i, n in seen.items() if n > 1]


def is_external(link: str) -> bool:
    """A link that loads from outside the page's folder (network, absolute path)."""
    parts = urlsplit(link)
    return bool(parts.scheme and parts.scheme != "data") or link.startswith(("//", "/"))


def dangling_links(page: Path) -> list[str]:
    """Links of *page* that are external, leave its folder, do not resolve to an existing
    file or name an anchor the page lacks (data: URIs are fine), each once."""
    folder = Path(page).parent.resolve()
    parsed = _parse(page)
    bad = []
    for link in parsed.links:
        if link.startswith("#"):
            if link[1:] not in parsed.ids:
                bad.append(link)
            continue
        if link.startswith("data:"):
            continue
        if is_external(link):
            bad.append(link)
            continue
        target = (Path(page).parent / unquote(urlsplit(link).path)).resolve()
        if not target.is_file() or not target.is_relative_to(folder):
            bad.append(link)
    return list(dict.fromkeys(bad))
