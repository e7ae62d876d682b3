"""Torch's intra-op threads in the app: all of them for the training thread, one for the rest.

Why: libgomp, the OpenMP runtime of torch's Linux wheels, keeps a pool of worker
threads for every OS thread that has run a parallel region, and once it manages
more threads than the machine has cores it cuts its workers' busy-wait to about a
hundred spins. From then on every parallel region (each convolution, pooling,
large element-wise op) wakes its workers through the kernel. Measured on 2 cores
(``bench/gui_training.py``): a training thread next to a GUI thread that had run
tensor ops with the default thread count trained a third slower than the same
training on the main thread; with the GUI thread held at one intra-op thread
it trained as fast.

``reserve_for_training()`` runs once on the GUI thread at start-up, before any
tensor op there: it notes torch's default thread count for training runs and sets
one thread for the GUI thread and every thread started later. The training thread
sets its own count (``torch.set_num_threads`` inside the thread) for the run and
puts the default back to one when it ends.
"""

from __future__ import annotations

_training_threads: int | None = None


def reserve_for_training() -> int:
    """Keep the calling (GUI) thread and later threads at one torch thread.

    Returns:
        The intra-op thread count training runs use: torch's own default for this
        machine, read before the first call changed it.
    """
    global _training_threads
    import torch

    if _training_threads is None:
        _training_threads = torch.get_num_threads()
        torch.set_num_threads(1)
    return _training_threads


def training_threads() -> int:
    """Intra-op threads for a run: the count noted by :func:`reserve_for_training`
    (or torch's current setting when nothing was reserved)."""
    import torch

    return _training_threads if _training_threads is not None else torch.get_num_threads()


__all__ = ["reserve_for_training", "training_threads"]
