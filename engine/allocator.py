"""Keep freed tensor memory in the process between training steps (glibc only).

Every CPU training step allocates and frees the same activation and gradient
buffers (a few MB each for a small CNN). With glibc's defaults, buffers above
the dynamic mmap threshold are mapped and unmapped each time, and the heap is
trimmed back to the OS whenever its free top passes the trim threshold, so the
next step page-faults the memory in again: hundreds of thousands of minor page
faults per epoch, 10–20 % of a small CNN's CPU time. PyTorch's CPU tuning guide
suggests swapping in jemalloc or tcmalloc for this; raising glibc's two
thresholds gets the same effect without another library.

``tune_cpu_allocator()`` is called once by the ``torchwire`` entry point (the CLI,
the app and ``torchrun`` workers). It is process-wide, so the library's
``Trainer`` does not call it for you.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import sys

log = logging.getLogger(__name__)

# mallopt parameters (glibc <malloc.h>).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Allocations up to this size come from the heap (glibc's own dynamic ceiling on 64-bit).
MMAP_THRESHOLD = 32 << 20
# The heap keeps up to this much free memory at its top instead of returning it.
TRIM_THRESHOLD = 128 << 20

_tuned = False


def tune_cpu_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds once per process.

    Returns:
        True when the thresholds are set (now or earlier); False where the C library
        is not glibc (macOS, Windows, musl), which is left as it is.
    """
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD,
                                                                     TRIM_THRESHOLD) == 1
    if not ok:  # pragma: no cover - glibc accepts both values
        log.debug("mallopt refused the allocator thresholds; keeping glibc's defaults")
        return False
    _tuned = True
    return True


__all__ = ["tune_cpu_allocator"]
