"""DistributedDataParallel support: detect ``torchrun``, pick the device, shard the data.

Under ``torchrun --nproc_per_node=K`` each process sees ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; :func:`init_distributed` joins the process group (``nccl`` on CUDA,
``gloo`` otherwise). Rank 0 alone logs, writes checkpoints and outputs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch

from ..errors import TorchwireError

log = logging.getLogger(__name__)


@dataclass
class DistInfo:
    """Where this process stands in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False  # this code created the process group (and destroys it)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    def all_reduce(self, tensor: torch.Tensor) -> None:
        """Sum ``tensor`` across processes in place (nothing to do alone)."""
        if self.enabled:
            torch.distributed.all_reduce(tensor)

    def broadcast_flag(self, value: bool) -> bool:
        """Rank 0's ``value`` on every rank (so all ranks stop together)."""
        if not self.enabled:
            return value
        flag = torch.tensor([1 if value else 0], dtype=torch.int64,
                            device=_collective_device())
        torch.distributed.broadcast(flag, src=0)
        return bool(flag.item())

    def shutdown(self) -> None:
        if self.initialized_here and torch.distributed.is_initialized():
            # Every rank must be done communicating before the group goes away: a rank that
            # tears gloo down while its peer still sends aborts ("terminate called ...").
            try:
                torch.distributed.barrier()
            except RuntimeError:  # a peer already failed; nothing left to wait for
                pass
            torch.distributed.destroy_process_group()
            self.initialized_here = False


def _collective_device() -> torch.device:
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def launched_by_torchrun() -> bool:
    """True when the environment says this process is one of several (torchrun sets these)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def init_distributed(device: torch.device) -> DistInfo:
    """Join the torchrun process group if there is one; otherwise a single-process DistInfo.

    Args:
        device: The resolved training device (``cuda`` selects ``nccl``).
    Raises:
        TorchwireError: the process group cannot be joined.
    """
    if not launched_by_torchrun():
        return DistInfo()
    dist = torch.distributed
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), local_rank, False)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    try:
        dist.init_process_group(backend=backend)
    except (RuntimeError, ValueError) as err:
        raise TorchwireError(f"cannot join the distributed run as rank {rank} of {world} "
                             f"({backend}): {err}") from None
    log.info("distributed: rank %d of %d (%s)", rank, world, backend)
    return DistInfo(rank, world, local_rank, True)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda (this process's LOCAL_RANK under torchrun), else mps, else cpu.

    Raises:
        TorchwireError: an explicitly requested accelerator is not available.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", "0")) if launched_by_torchrun() else None
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank or 0)
        if torch.backends.mps.is_available() and local_rank is None:
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TorchwireError(f"device '{name}' was requested but CUDA is not available here — "
                                 "use device auto or cpu")
        index = int(name.split(":")[1]) if ":" in name else (local_rank or 0)
        if index >= torch.cuda.device_count():
            raise TorchwireError(f"device '{name}' does not exist: this machine has "
                                 f"{torch.cuda.device_count()} CUDA device(s)")
        return torch.device("cuda", index)
    if name == "mps" and not torch.backends.mps.is_available():
        raise TorchwireError("device 'mps' was requested but Apple MPS is not available here — "
                             "use device auto or cpu")
    return torch.device(name)


def shard_indices(n: int, seed: int, epoch: int, shuffle: bool, info: DistInfo) -> torch.Tensor:
    """This process's sample order for ``epoch`` (int64 indices): a seeded permutation, sharded by rank.

    Alone, it is ``randperm(n)`` from a generator seeded with ``seed + epoch`` (so
    an epoch's order does not depend on what ran before, and resuming is exact).
    Under DDP it is exactly :class:`~torch.utils.data.DistributedSampler`'s order.
    """
    if info.enabled:
        from torch.utils.data import DistributedSampler

        sampler = DistributedSampler(range(n), num_replicas=info.world_size, rank=info.rank,
                                     shuffle=shuffle, seed=seed, drop_last=False)
        sampler.set_epoch(epoch)
        return torch.tensor(list(sampler), dtype=torch.int64)
    if not shuffle:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(n, generator=generator)


def eval_indices(n: int, info: DistInfo) -> torch.Tensor:
    """This process's share of an evaluation set: every sample exactly once over all ranks."""
    return torch.arange(info.rank, n, info.world_size)


__all__ = ["DistInfo", "eval_indices", "init_distributed", "launched_by_torchrun", "resolve_device",
           "shard_indices"]
