"""The SHACL gate: check a batch's asserted data against ``shapes/*.shapes.ttl``.

:func:`load_shapes` reads the shapes, :func:`validate_graph` runs pySHACL over the batch (a large
one in parts, in parallel: :mod:`kg.validation.partition`) and returns a :class:`ValidationReport`
whose :class:`Violation` items name the input records at fault.
Spec: https://www.w3.org/TR/shacl/#validation-report
"""

from kg.validation.report import ValidationReport, Violation
from kg.validation.shacl import load_shapes, validate_graph

__all__ = ["ValidationReport", "Violation", "load_shapes", "validate_graph"]
