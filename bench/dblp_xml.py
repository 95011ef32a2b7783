"""Write generated records (bench/generate.py) as a dblp XML dump, in dblp's own format.

    python bench/dblp_xml.py --papers 100000 --seed 42 --output bench/.cache/dblp-100000-seed42.xml

As dblp writes ``dblp.xml``: ISO-8859-1, a ``<!DOCTYPE dblp SYSTEM "dblp.dtd">`` declaration,
every non-ASCII character as a DTD entity (``&ouml;``, from the HTML 4 / ISO-8859-1 names the
DTD declares) or a character reference, titles ending with a period, one element per
publication (``article`` for journals and CoRR preprints, ``inproceedings`` for conferences and
workshops) keyed ``journals/…`` or ``conf/…``, DOIs and arXiv ids as ``<ee>`` links, and
ORCIDs as ``orcid`` attributes of ``<author>`` (the person lines of the generator). A paper the
generator gives no venue is left out (dblp lists none without one). The same arguments give the
same bytes; nothing here imports kg.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.entities import codepoint2name
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate_records  # noqa: E402

HEADER = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE dblp SYSTEM "dblp.dtd">\n<dblp>\n'
ELEMENTS = {"journal": ("article", "journal", "journals"), "preprint-server": ("article", "journal", "journals"),
            "conference": ("inproceedings", "booktitle", "conf"), "workshop": ("inproceedings", "booktitle", "conf")}


# The named entities dblp.dtd declares: the accented Latin-1 letters (and reg, micro, times).
DTD_ENTITIES = {code: name for code, name in codepoint2name.items()
                if 0xC0 <= code <= 0xFF and code not in (0xD7, 0xF7)} | {0xAE: "reg", 0xB5: "micro", 0xD7: "times"}


def text(value: str) -> str:
    """XML text as dblp writes it: ASCII, other characters as the DTD's entities or as references."""
    return "".join(c if ord(c) < 128 else f"&{DTD_ENTITIES[ord(c)]};" if ord(c) in DTD_ENTITIES
                   else f"&#{ord(c)};" for c in escape(value))


def venue_key(venue: str) -> str:
    return re.sub(r"[^a-z0-9]", "", venue.lower())[:12] or "misc"


def record_key(prefix: str, venue: str, authors: list[str], year: int, seen: dict[str, int]) -> str:
    initials = "".join(re.sub(r"[^A-Za-z]", "", name.split()[-1])[:1].upper() for name in authors[1:4])
    last = re.sub(r"[^A-Za-z]", "", authors[0].split()[-1]) or "X"
    key = f"{prefix}/{venue_key(venue)}/{last}{initials}{year % 100:02d}"
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}-{seen[key]}"


def write_dblp(papers: int, seed: int, output: Path) -> int:
    """Write the dump; returns how many publication records it holds."""
    orcids: dict[str, str] = {}
    seen: dict[str, int] = {}
    count = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="iso-8859-1", newline="\n") as out:
        out.write(HEADER)
        for record in generate_records(papers, seed, progress=False):
            if record["type"] == "person":
                orcids[record["name"]] = record["identifiers"]["orcid"]
                continue
            if "venue" not in record or record["venue_kind"] not in ELEMENTS:
                continue
            element, venue_tag, prefix = ELEMENTS[record["venue_kind"]]
            venue = "CoRR" if record["venue_kind"] == "preprint-server" else record["venue"]
            key = record_key(prefix, venue, record["authors"], record["year"], seen)
            lines = [f'<{element} key="{key}" mdate="2024-01-01">']
            for name in record["authors"]:
                orcid = f' orcid="{orcids[name]}"' if name in orcids else ""
                lines.append(f"<author{orcid}>{text(name)}</author>")
            lines.append(f"<title>{text(record['title'].rstrip('.'))}.</title>")
            lines.append(f"<{venue_tag}>{text(venue)}</{venue_tag}>")
            lines.append(f"<year>{record['year']}</year>")
            for scheme, value in record.get("identifiers", {}).items():
                url = f"https://doi.org/{value}" if scheme == "doi" else f"https://arxiv.org/abs/{value}"
                lines.append(f"<ee>{escape(url)}</ee>")
            lines.append(f"</{element}>\n")
            out.write("\n".join(lines))
            count += 1
        out.write("</dblp>\n")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    print(f"{write_dblp(args.papers, args.seed, args.output)} records in {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
