"""How numbers read on the pages people read: a size as ``16 MiB``, not ``16777216`` bytes.

Machine formats (JSON listings, VoID's ``dcat:byteSize``, the manifest) keep exact byte counts;
a page shows the readable size and gives the exact count in a ``title`` (the templates do, with
the ``filesize`` filter that :func:`kg.web.create_app` registers).
"""

from __future__ import annotations

import humanize


def human_size(count: int) -> str:
    """A byte count in binary units, one decimal where it matters.

    >>> human_size(16777216), human_size(98782), human_size(956), human_size(1)
    ('16 MiB', '96.5 KiB', '956 bytes', '1 byte')
    """
    text = humanize.naturalsize(count, binary=True)  # "16.0 MiB", "956 Bytes", "1 Byte"
    return text.replace(".0 ", " ").replace("Byte", "byte")
