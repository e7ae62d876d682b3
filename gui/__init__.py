"""Torchwire's PySide6 editor. Thin: gestures become engine calls, engine state becomes pixels."""

from __future__ import annotations

import sys


def _shield_singletons() -> None:
    """Work around a PySide6 refcount bug on CPython < 3.12.

    Some PySide6 builds (seen with 6.12.0 on CPython 3.11) drop one reference
    to ``None`` / ``True`` / ``False`` in calls such as
    ``QCoreApplication.processEvents()``, Python overrides of C++ virtuals
    (``paint``) and signal emission. On 3.12+ these objects are immortal and the
    bug is harmless; on 3.11 the count reaches zero after a few hundred thousand
    calls and the process aborts with "none_dealloc". Giving the three singletons
    a huge reference count makes them effectively immortal, as on 3.12.
    """
    if sys.version_info >= (3, 12):
        return
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40


_shield_singletons()
