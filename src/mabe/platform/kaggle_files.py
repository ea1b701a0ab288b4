"""Text of the files a Kaggle bundle carries besides the run and the wheels.

``predict_kaggle.py`` uses only the standard library until the bundled wheels
are installed, so it runs on any Python that has torch.
"""

from __future__ import annotations

import json

SCRIPT_NAME = "predict_kaggle.py"
NOTEBOOK_NAME = "mabe_predict.ipynb"

SCRIPT = '''#!/usr/bin/env python3
"""Write submission.csv for the MABe test videos with the bundled run, without internet.

    python predict_kaggle.py [--input DIR] [--out FILE] [--no-install] [--overwrite]

--input  directory holding test.csv and test_tracking/ (env MABE_INPUT; default: the one
         directory under /kaggle/input that holds both)
--out    submission file (env MABE_OUTPUT; default /kaggle/working/submission.csv, which is
         replaced if present; any other existing file needs --overwrite)
Built by `mabe bundle` (mabe {version}) from run {run_name}.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KAGGLE_INPUT = Path("/kaggle/input")
KAGGLE_OUTPUT = Path("/kaggle/working/submission.csv")


def install(wheels: Path) -> None:
    """pip-install every bundled wheel, offline and exactly (no dependency resolution)."""
    files = sorted(str(p) for p in wheels.glob("*.whl"))
    if not files:
        sys.exit(f"{{wheels}}: no wheels to install")
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(wheels),
           "--no-deps", "--quiet", "--disable-pip-version-check", *files]
    subprocess.run(cmd, check=True)
    print(f"installed {{len(files)}} wheels in {{time.perf_counter() - started:.0f}} s", flush=True)


def find_input(explicit: str | None) -> Path:
    if explicit:
        path = Path(explicit)
        if not (path / "test.csv").is_file():
            sys.exit(f"{{path}}: no test.csv here")
        return path
    found = sorted({{p.parent for p in KAGGLE_INPUT.glob("**/test.csv") if (p.parent / "test_tracking").is_dir()}})
    if len(found) != 1:
        sys.exit(f"{{KAGGLE_INPUT}}: expected one directory with test.csv and test_tracking/, found "
                 f"{{[str(p) for p in found] or 'none'}}; pass --input")
    return found[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Offline MABe prediction with a mabe bundle.")
    parser.add_argument("--input", default=os.environ.get("MABE_INPUT"))
    parser.add_argument("--out", default=os.environ.get("MABE_OUTPUT"))
    parser.add_argument("--no-install", action="store_true", help="mabe is already installed")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else KAGGLE_OUTPUT
    if out.exists() and out != KAGGLE_OUTPUT and not args.overwrite:
        sys.exit(f"{{out}}: already exists; pass --overwrite or choose another --out")
    data = find_input(args.input)
    if not args.no_install:
        install(HERE / "wheels")
    # the bundle (under /kaggle/input) is read-only: caches go to a temporary directory
    os.environ.setdefault("MABE_CACHE_DIR", tempfile.mkdtemp(prefix="mabe-cache-"))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mabe.data.submission import write_submission
    from mabe.workflows.predict import predict_split

    started = time.perf_counter()
    table = predict_split(HERE / "run", data, "test")
    write_submission(table, out, overwrite=True)
    print(f"wrote {{out}}: {{len(table)}} intervals for {{table['video_id'].nunique()}} videos "
          f"in {{time.perf_counter() - started:.0f}} s", flush=True)


if __name__ == "__main__":
    main()
'''


def script_text(version: str, run_name: str) -> str:
    """``predict_kaggle.py`` for a bundle of ``run_name`` built by mabe ``version``."""
    return SCRIPT.format(version=version, run_name=run_name)


def notebook_text() -> str:
    """Return a Kaggle notebook (nbformat 4) that finds the attached bundle and runs its script."""
    intro = (
        "# MABe submission from a mabe bundle\n"
        "Attach the competition data and the bundle dataset (made by `mabe bundle`), "
        "turn internet off and run all: the cell below installs the bundled wheels offline "
        "and writes `/kaggle/working/submission.csv`."
    )
    code = (
        "import glob, subprocess, sys\n"
        f"scripts = sorted(glob.glob('/kaggle/input/**/{SCRIPT_NAME}', recursive=True))\n"
        "assert len(scripts) == 1, f'attach exactly one mabe bundle, found {scripts}'\n"
        "subprocess.run([sys.executable, scripts[0]], check=True)"
    )

    def lines(text: str) -> list[str]:
        parts = text.split("\n")
        return [p + "\n" for p in parts[:-1]] + [parts[-1]]

    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": lines(intro)},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": lines(code)},
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1) + "\n"


KAGGLE_LIMITS = """\
Kaggle's limits for this kind of run (check the competition's "Code Requirements" tab, they win):
- internet off in the submitted notebook (hence the wheels); output file `submission.csv`;
- code competitions typically allow at most 9 hours of run time for a CPU or a GPU notebook;
- a notebook session: 4 CPU threads (2 cores) and about 30 GB RAM; GPU sessions add one
  P100 (16 GB) or two T4 (16 GB each); the bundle is read-only under /kaggle/input and
  /kaggle/working (20 GB) is writable."""


def readme_text(info: dict) -> str:
    """Return the bundle's README: contents, use on Kaggle, limits and the expected prediction time."""
    wheels = "\n".join(f"  - {name}" for name in info["wheels"])
    return f"""# mabe bundle of `{info['run_name']}`

Turns the bundled run into `submission.csv` inside a Kaggle notebook without internet.

- `run/`: the trained run (config, weights, decode.json; an ensemble's members), no out-of-fold files
- `wheels/`: mabe {info['mabe_version']} and {len(info['wheels']) - 1} dependencies for Python {info['python']}
  (torch is not bundled: the Kaggle image has it)
- `{SCRIPT_NAME}`: installs the wheels with `pip install --no-index --no-deps` and predicts
- `{NOTEBOOK_NAME}`: a notebook that runs the script
- `bundle.json`: what was bundled, and the throughput measured when building

## Use on Kaggle
1. Upload this directory as a private dataset (kaggle.com -> Datasets -> New, or
   `kaggle datasets create -p THIS_DIR` after filling in `dataset-metadata.json`).
2. New notebook in the competition: add this dataset, internet off, paste or upload
   `{NOTEBOOK_NAME}`, run all, submit.

Locally (for a check): `python {SCRIPT_NAME} --input DATA --out submission.csv`.

## Time
{info['throughput_text']}

{KAGGLE_LIMITS}

Wheels:
{wheels}
"""
