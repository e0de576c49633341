"""HTML-only mail turned into plain text with :mod:`html2text`, quoted parts removed first.

Clients mark what they quote: Gmail ``div.gmail_quote``, Outlook on the web
``div#appendonsend`` / ``div#divRplyFwdMsg`` (``#x_divRplyFwdMsg`` from Outlook for Mac,
``#mail-editor-reference-message-container`` or ``.ms-outlook-mobile-reference-message``
from Outlook for iOS and Android), Yahoo for iOS ``blockquote.iosymail``, Outlook desktop a ``div`` with a grey top
border before the ``De :`` block, Yahoo ``div.yahoo_quoted``, Thunderbird
``div.moz-cite-prefix``, Apple Mail and many webmails ``blockquote type="cite"`` or a
``blockquote`` with a left border, Zimbra ``hr#zwchr``. A ``blockquote`` without either is
the editor's indent button (Gmail: ``margin:0 0 0 40px;border:none``): the person's own
text. Replies are written above the quote (top-posting), so everything from the
first marker on is dropped before conversion; the text-level quote rules of
:mod:`workflows.mail.quotes` still run afterwards on what is left.
"""
from __future__ import annotations

import re

import html2text

_QUOTE_MARKER_RE = re.compile(
    r"<div[^>]*\bclass=[\"']?[^\"'>]*\bgmail_quote"
    r"|<div[^>]*\bid=[\"']?(?:x_)?(?:appendonsend|divRplyFwdMsg|yahoo_quoted|mail-editor-reference-message-container)"
    r"|<div[^>]*\bclass=[\"']?[^\"'>]*\b(?:yahoo_quoted|moz-cite-prefix|OutlookMessageHeader"
    r"|ms-outlook-mobile-reference-message)"
    r"|<div[^>]*border-top:\s*solid\s+#E1E1E1"
    r"|<div[^>]*border-top:\s*solid\s+#B5C4DF"
    r"|<hr[^>]*\bid=[\"']?(?:zwchr|stopSpelling)",
    re.IGNORECASE,
)
_BLOCKQUOTE_RE = re.compile(r"<blockquote\b([^>]*)>|</blockquote\s*>", re.IGNORECASE)
_CITED_RE = re.compile(
    r"\btype\s*=\s*[\"']?cite|\bcite\s*=|\bclass\s*=\s*[\"']?[^\"'>]*(?:quote|iosymail)"
    r"|border(?:-left)?\s*:\s*(?!none)[^;\"']*\b(?:solid|dotted|dashed)\b|border-left-style\s*:\s*solid",
    re.IGNORECASE,
)
_SIGNATURE_MARKER_RE = re.compile(
    r"<(?:span|div)[^>]*\bclass=[\"']?[^\"'>]*\b(?:gmail_signature_prefix|gmail_signature|moz-signature)"
    r"|<div[^>]*\bid=[\"']?(?:Signature|composer_signature|signature)\b",
    re.IGNORECASE,
)


def strip_html_quotes(html: str) -> str:
    """``html`` cut at the first quote or signature marker (see module docstring); a
    ``blockquote`` is a quote only when it says so (``type="cite"``, ``cite=``, a
    ``…quote`` class, a left border): the editor's indent button makes one without."""
    cut = len(html)
    for pattern in (_QUOTE_MARKER_RE, _SIGNATURE_MARKER_RE):
        match = pattern.search(html, 0, cut)
        if match:
            cut = match.start()
    for match in _BLOCKQUOTE_RE.finditer(html, 0, cut):
        if match.group(0)[1] != "/" and _CITED_RE.search(match.group(1) or ""):
            cut = match.start()
            break
    return html[:cut]


def _unindent(html: str) -> str:
    """Indentation blockquotes (no cite, no border) made ``div``: html2text would
    otherwise write them as ``>`` lines, read as quoted text."""
    if "blockquote" not in html.lower():
        return html
    out: list[str] = []
    stack: list[bool] = []  # for each open blockquote: is it a quote?
    position = 0
    for match in _BLOCKQUOTE_RE.finditer(html):
        out.append(html[position:match.start()])
        if match.group(0)[1] != "/":
            cited = bool(_CITED_RE.search(match.group(1) or ""))
            stack.append(cited)
            out.append(match.group(0) if cited else "<div>")
        else:
            cited = stack.pop() if stack else True
            out.append(match.group(0) if cited else "</div>")
        position = match.end()
    out.append(html[position:])
    return "".join(out)


def html_to_text(html: str, *, keep_quotes: bool = False) -> str:
    """Plain text of an HTML body: quotes removed unless ``keep_quotes`` (a forwarded
    message keeps the forwarded content), links as their text, no emphasis marks, no
    wrapping. Never raises: on a converter error, tags are simply stripped."""
    if not keep_quotes:
        html = strip_html_quotes(html)
    html = _unindent(html)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    converter.single_line_break = False
    try:
        text = converter.handle(html)
    except Exception:  # html2text is a hand-written parser; broken markup must not stop us
        text = re.sub(r"<[^>]*>", " ", html)
    return _unescape_markdown(text)


_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def _unescape_markdown(text: str) -> str:
    # html2text escapes characters that would be Markdown syntax ("1\." "\- item");
    # people wrote them as plain text.
    text = _MD_ESCAPE_RE.sub(r"\1", text)
    # "* * *" is how html2text renders <hr>: a separator, not text.
    return re.sub(r"(?m)^\s*\* \* \*\s*$", "", text)
