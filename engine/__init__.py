"""Torchwire engine: graph model, layer catalog, shapes, compiler, training, export.

Importing ``engine`` is cheap: torch loads only when shapes, compilation or
training are used, and Qt never loads here.
"""

__version__ = "0.1.0"
