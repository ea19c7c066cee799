"""Cut a page down to the elements the reader looks at (<meta>, <title>, <script>) before the HTML parser sees it.

lexbor's tree builder is superlinear in how deep elements nest: every
``<div>`` or ``<li>`` looks down the whole stack of open elements for a ``<p>``
or a list item to close. Measured with selectolax 1.0: 40,000 unclosed
``<div>`` (200 kB) take 4.6 s to parse, 40,000 ``<ul><li>`` (320 kB) 17 s, and
a 2 MB page would take hours. Browsers cap the depth (Blink at 512); lexbor
does not. The facts live in three kinds of elements that never nest, so this
linear scan keeps those and drops everything else (other tags, text,
comments); what it keeps is parsed as usual, attributes and entities
included, in well under a second for any page within the size cap.

The scan follows the HTML tokenizer where it matters for finding those
elements: comments are skipped; a tag ends at the first ``>`` outside a
quoted attribute value; the contents of raw-text and RCDATA elements
(``<script>``, ``<style>``, ``<textarea>``, ``<title>``…) end only at their own
end tag, so a ``<meta>`` written inside a script or a textarea is no meta
tag; ``<plaintext>`` ends the markup. Every search moves forward, so the work
is linear in the page, whatever it holds.
"""

from __future__ import annotations

import re

KEPT = frozenset({"meta", "title", "script"})
_RAW = frozenset({"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"})
_OPENING = re.compile(r"<(!--|/?[A-Za-z][^\s/>]*)")
# The rest of a tag, up to its ">": a quote only opens a value right after "=", as in the tokenizer.
_REST_OF_TAG = re.compile(r"""(?:[^>"'=]++|=\s*+"[^"]*+"|=\s*+'[^']*+'|[="'])*+>""")
_ENDS = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW}


def skim(html: str) -> str:
    """The page's <meta> tags and <title> and <script> elements, in their order, and nothing else."""
    kept: list[str] = []
    position = 0
    while (opening := _OPENING.search(html, position)) is not None:
        if opening.group(1) == "!--":
            end = html.find("-->", opening.end())
            position = len(html) if end < 0 else end + 3
            continue
        rest = _REST_OF_TAG.match(html, opening.end())
        if rest is None:  # a tag cut off by the end of the page: the tokenizer drops it, and so do we
            break
        position = rest.end()
        name = opening.group(1).lower()
        if name.startswith("/"):
            continue
        if name in KEPT:
            kept.append(html[opening.start() : position])
        if name == "plaintext":
            break
        if name in _RAW:
            end = _ENDS[name].search(html, position)
            close = len(html) if end is None else end.start()
            if name in KEPT:
                kept.append(html[position:close] + f"</{name}>")
            position = close
    return "".join(kept)
