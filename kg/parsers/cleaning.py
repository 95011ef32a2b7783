"""Clean the text of one field: decode HTML entities, drop inline HTML tags, collapse whitespace.

LaTeX is data, not markup to clean: inline math (``$...$``, ``$$...$$``) is copied byte for byte,
apart from HTML entities, which are an artefact of how the page was copied, never LaTeX. Commands
outside math (``\\citep{mnist}``, ````barn spider''``) contain nothing this module touches.

The abstract trailer is the page chrome JMLR puts after every abstract
(``[abs] [ pdf ][ bib ] &copy JMLR 2020. ( edit, beta )``); :func:`split_abstract_trailer` removes
it and keeps the copyright statement it makes.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Inline math, unescaped ``$`` only; a blank line never occurs inside it (TeX forbids it).
_MATH = re.compile(r"(?<!\\)(\$\$?)(?:\\.|[^\\$])+?(?<!\\)\1", re.DOTALL)
# The HTML tags a copied abstract or title may carry. Anything else that looks like a tag is
# left alone: ``<`` is also a comparison in plain text.
_INLINE_TAG = re.compile(
    r"</?(?:a|b|big|code|em|font|i|mark|s|small|span|strike|strong|sub|sup|tt|u)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(r"</?(?:br|div|p)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")

_LINK = r"\[\s*(?:abs|pdf|bib|code)\s*\]"
_EDIT = r"\(\s*edit\s*,\s*beta\s*\)"
_COPYRIGHT = r"(?:&copy;?|©)\s*(?P<holder>[^\[\]()©]{1,120}?)\s*\.?"
# One trailer token at the very end of the abstract; stripped repeatedly, so any order works.
_TRAILER_TOKEN = re.compile(rf"\s*(?:{_LINK}|{_EDIT}|{_COPYRIGHT})\s*$", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[5-9]|2\d)\d\d\b")


def clean_text(text: str) -> str:
    """Return ``text`` with entities decoded, inline tags dropped and whitespace collapsed.

    Whitespace is collapsed inside each paragraph; paragraphs (separated by a blank line) stay
    separated by one blank line. Inline math is copied verbatim except for HTML entities. The
    result is NFC.

    Args:
        text: the raw text of one field, e.g. a title or an abstract.

    Returns:
        The cleaned text, stripped at both ends; ``""`` if nothing but whitespace is left.

    Example:
        >>> clean_text("&copy JMLR   <b>2020</b> $O(\\\\log  n)$")
        '© JMLR 2020 $O(\\\\log  n)$'
    """
    paragraphs = (clean_paragraph(part) for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(part for part in paragraphs if part)


def clean_paragraph(text: str) -> str:
    """Clean one paragraph (see :func:`clean_text`): newlines inside it become spaces."""
    pieces = []
    position = 0
    for math in _MATH.finditer(text):
        pieces.append(clean_prose(text[position : math.start()]))
        pieces.append(html.unescape(math.group(0)))
        position = math.end()
    pieces.append(clean_prose(text[position:]))
    return unicodedata.normalize("NFC", "".join(pieces).strip())


def clean_prose(text: str) -> str:
    """Drop HTML tags, decode entities and collapse whitespace in text outside math.

    Inline tags (``<b>``) vanish, block tags (``<br>``, ``<p>``) become a space. Tags go before
    entities are decoded, so an escaped ``&lt;b&gt;`` survives as the text ``<b>``.
    """
    if "<" in text:
        text = _INLINE_TAG.sub("", _BLOCK_TAG.sub(" ", text))
    return _WHITESPACE.sub(" ", html.unescape(text))


def split_abstract_trailer(abstract: str) -> tuple[str, str | None]:
    """Remove the page-chrome trailer from the end of an abstract.

    The trailer is any run, in any order, of ``[abs]``, ``[ pdf ]``, ``[ bib ]``, ``[code]``,
    ``( edit, beta )`` and a copyright statement (``&copy`` or ``©``, a holder and a year). A
    ``©`` without a year is not taken for a copyright statement, so prose survives.

    Args:
        abstract: the abstract, raw or already cleaned.

    Returns:
        ``(abstract, copyright)``: the abstract without its trailer (stripped) and the copyright
        statement as ``"© JMLR 2020"`` (no trailing period), or None if the trailer states none.

    Example:
        >>> split_abstract_trailer("Works well. [abs] [ pdf ][ bib ] &copy JMLR 2020. ( edit, beta )")
        ('Works well.', '© JMLR 2020')
    """
    copyright_ = None
    while match := _TRAILER_TOKEN.search(abstract):
        holder = match.group("holder")
        if holder is not None:
            if not _YEAR.search(holder) or copyright_ is not None:
                break
            copyright_ = "© " + _WHITESPACE.sub(" ", html.unescape(holder)).strip()
        abstract = abstract[: match.start()]
    return abstract.strip(), copyright_
