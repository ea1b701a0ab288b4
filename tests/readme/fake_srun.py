"""A stand-in for SLURM's ``srun`` on one machine: ``python fake_srun.py --ntasks-per-node=N CMD...``.

Starts N copies of CMD with the variables ``srun`` gives each task (``SLURM_NTASKS``,
``SLURM_NTASKS_PER_NODE``, ``SLURM_NNODES``, ``SLURM_PROCID``, ``SLURM_LOCALID``,
``SLURM_NODEID``, ``SLURM_NODELIST``, ``SLURM_JOB_ID``, ``SLURM_JOB_NAME``), so Lightning
detects its SLURM environment and mabe finds rank 0 from ``SLURM_PROCID``, as on a cluster.
``MASTER_PORT`` is taken from the environment (a free port). Exits with the first task's
non-zero exit code (the other tasks are stopped then), else 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def run(tasks: int, command: list[str]) -> int:
    """Run ``tasks`` copies of ``command`` as one job step of one node; the exit code of the step."""
    base = {
        **os.environ,
        "SLURM_NTASKS": str(tasks),
        "SLURM_NTASKS_PER_NODE": str(tasks),
        "SLURM_NNODES": "1",
        "SLURM_NODEID": "0",
        "SLURM_NODELIST": "127.0.0.1",
        "SLURM_JOB_ID": str(os.getpid()),
        "SLURM_JOB_NAME": "mabe-readme",
    }
    procs = [
        subprocess.Popen(command, env={**base, "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank)})
        for rank in range(tasks)
    ]
    while True:
        codes = [p.poll() for p in procs]
        failed = [c for c in codes if c not in (None, 0)]
        if failed or all(c == 0 for c in codes):
            break
        time.sleep(0.2)
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait()
    return failed[0] if failed else 0


if __name__ == "__main__":
    flag, *rest = sys.argv[1:]
    if not flag.startswith("--ntasks-per-node=") or not rest:
        sys.exit("usage: fake_srun.py --ntasks-per-node=N COMMAND...")
    sys.exit(run(int(flag.split("=", 1)[1]), rest))
