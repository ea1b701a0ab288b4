"""Which process of a multi-process (DDP) run this is, for work done once per run.

Lightning's ``ddp`` strategy re-runs the command in one process per device (setting
``LOCAL_RANK`` / ``NODE_RANK`` in the copies); torchrun sets ``RANK``; SLURM's srun sets
``SLURM_PROCID``. Work outside training (checking and creating the run directory,
printing the summary, tuning decoding) belongs to global rank 0 only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

RANK_VARIABLES: tuple[str, ...] = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")
"""Environment variables that are non-zero in every process but global rank 0."""


def _int(value: str | None) -> int:
    try:
        return int(value) if value not in (None, "") else 0
    except ValueError:
        return 0


def global_rank(env: Mapping[str, str] | None = None) -> int:
    """Rank of this process among all processes of all nodes (0 when not distributed).

    The process group's rank once it exists (unless ``env`` is given); before
    that, from ``env`` (default ``os.environ``): ``RANK`` if set, else
    0 when every variable of :data:`RANK_VARIABLES` is 0 or unset and 1 (some
    other rank) otherwise.

    Examples
    --------
    >>> global_rank({"LOCAL_RANK": "0", "NODE_RANK": "0"})
    0
    >>> global_rank({"SLURM_PROCID": "0", "LOCAL_RANK": "1"}) != 0
    True
    """
    if env is None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return int(dist.get_rank())
        env = os.environ
    if env.get("RANK"):
        return _int(env.get("RANK"))
    return 0 if all(_int(env.get(k)) == 0 for k in RANK_VARIABLES) else 1


def is_global_zero() -> bool:
    """Return whether this is the process that writes a run's files and reports (rank 0, or the only one)."""
    return global_rank() == 0
