"""Sources: read an input file into text and a :class:`~kg.records.SourceRef`. I/O only."""

from kg.sources.files import RawSource, read_source

__all__ = ["read_source", "RawSource"]
