"""Text from case files and reports, made safe for Markdown or HTML: URLs become links, long messages fold.

Case files write `why`s as prose with bare URLs, and frameworks raise messages of several lines; a page shows
each URL as a link and a long message as its first sentence, the rest folded in a <details>.
"""

from __future__ import annotations

import hashlib
import re

from markupsafe import Markup, escape

URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?"
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "resp.")
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>&$|])")
FOLD_AT = 160  # characters: a longer message (or one of several lines) shows its first sentence only
FOLD_IN_CELL = 60  # the same in a table cell, where a column is narrow
_PAGE_NAME = re.compile(r"[a-z0-9][a-z0-9_.\[\]-]{0,99}")  # a case id (or a sample's) as a file name as it is
_NOT_IN_SLUG = re.compile(r"[^a-z0-9_.-]+")


def is_web_url(url: str | None) -> bool:
    """Whether `url` is an http(s) link with no space, quote or bracket: a report's or case file's link never
    becomes a `javascript:` or `file:` link on a page, nor breaks out of its attribute."""
    return bool(url) and URL.fullmatch(url or "") is not None


def page_name(case_id: str) -> str:
    """The file name (and Sphinx label) of a case's page: the id itself where it is a short, plain name; else a slug
    of it and a hash, so an id with `../`, odd characters or 300 characters still names one file inside the site."""
    if _PAGE_NAME.fullmatch(case_id):
        return case_id
    slug = _NOT_IN_SLUG.sub("-", case_id.lower()).strip("-.")[:40]
    return f"{slug or 'case'}-{hashlib.sha256(case_id.encode()).hexdigest()[:12]}"


def link_label(url: str) -> str:
    """A short name for a link: owner/repo#123 for a GitHub issue or pull request, else its last path part."""
    found = re.match(r"https?://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)", url)
    if found:
        return f"{found[1]}#{found[2]}"
    found = re.match(r"https?://github\.com/([^/]+/[^/]+)/blob/[^/]+/(?:.*/)?([^/#]+)", url)
    if found:
        return f"{found[1]}: {found[2]}"
    host, _, path = url.split("://", 1)[-1].partition("/")
    return f"{host}: {path.rstrip('/').rsplit('/', 1)[-1]}" if path.strip("/") else host


def md_link(url: str | None) -> str:
    """A Markdown link to `url` with its short name; an URL that is not http(s) as plain text."""
    if not url:
        return ""
    if not is_web_url(url):
        return md_text(url)
    return f"[{md_text(link_label(url))}](<{url}>)"


def pieces(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_url); a URL loses the punctuation that ends the sentence around it."""
    out: list[tuple[str, bool]] = []
    at = 0
    for found in URL.finditer(text):
        url = found[0]
        while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
            url = url[:-1]
        out.append((text[at : found.start()], False))
        out.append((url, True))
        at = found.start() + len(url)
    out.append((text[at:], False))
    return [(piece, is_url) for piece, is_url in out if piece]


def md_text(text: str) -> str:
    """Plain text as Markdown that renders as the same text: emphasis, HTML, math and table marks escaped."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", escaped)  # intraword _ is no emphasis
    escaped = re.sub(r"^(\s*)([#+\-=%:>(~])", r"\1\\\2", escaped, flags=re.M)  # nothing may start a block: no
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", escaped, flags=re.M)  # heading, list, comment, target, fence


def md(text: str | None) -> str:
    """`text` as Markdown with its URLs as links."""
    out = []
    for piece, is_url in pieces(text or ""):
        if is_url:
            target = f"<{piece}>" if "(" in piece or ")" in piece else piece
            out.append(f"[{md_text(link_label(piece))}]({target})")
        else:
            out.append(md_text(piece))
    return "".join(out)


def html(text: str | None) -> Markup:
    """`text` as HTML with its URLs as links."""
    return Markup("").join(
        Markup('<a href="{0}">{1}</a>').format(piece, link_label(piece)) if is_url else escape(piece)
        for piece, is_url in pieces(text or "")
    )


def fold(text: str | None, limit: int = FOLD_AT) -> tuple[str, str]:
    """(first sentence, the rest) of a message longer than `limit` or of several lines; (message, "") otherwise.

    A sentence ends at '.', '!' or '?' before a space (not after a digit, nor in e.g., i.e., ...) or at a line
    that does not continue the one before (NumPy's array lines are indented). Where the head had to be shortened
    (TensorFlow's {{function_node ...}} prefix dropped, or cut at a word), the fold holds the whole message.
    """
    text = (text or "").strip()
    if len(text) <= limit and "\n" not in text:
        return text, ""
    cut = len(text)
    for i, char in enumerate(text):
        if char == "\n" and i + 1 < len(text) and not text[i + 1].isspace():
            cut = i
            break
        if (
            char in ".!?"
            and (i + 1 == len(text) or text[i + 1] in " \n")
            and not text[i - 1 : i].isdigit()
            and not text[: i + 1].lower().endswith(_ABBREVIATIONS)
        ):
            cut = i + 1
            break
    said = " ".join(text[:cut].split())
    head = " ".join(re.sub(r"\{\{[^}]*\}\}", "", said).split())
    if len(head) > limit:
        cut = next((u.start() for u in URL.finditer(head) if u.start() < limit < u.end()), limit)  # not in a URL
        head = head[:cut].rsplit(" ", 1)[0] + " …"
    return (head, text) if head != said else (head, text[cut:].strip())  # shortened: fold the whole message
