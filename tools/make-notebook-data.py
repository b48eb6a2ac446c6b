#!/usr/bin/env python3
"""Writes the official diagonal-net notebook's own data (diag_nets_sam.ipynb, SPEC 2.1) as a problem file.

The notebook calls np.random.seed(0) once and then draws, in this order: X (n x d) ~ N(0, I), X_test (n_test x d)
~ N(0, I), and d standard normals z for beta*; beta* = |z| on the first r coordinates (0 elsewhere), normalized to
unit l2 norm; y = X beta*, y_test = X_test beta* (no noise). Our TypeScript generator cannot reproduce NumPy's
stream, so the figures read this file to show each claim on the notebook's own problem. The legacy global
RandomState (np.random.seed / np.random.randn) is used, as in the notebook.

Usage (from the repository root): python3 tools/make-notebook-data.py [--n 20 --d 30 --r 3 --n-test 1000]
writes packages/implicit-bias/fixtures/notebook-seed0.json in the format of `sam-repro diag-net --problem`.
"""
import argparse
import json
import os
import tempfile

import numpy as np


def notebook_problem(n: int, d: int, r: int, n_test: int) -> dict:
    np.random.seed(0)
    X = np.random.randn(n, d)
    X_test = np.random.randn(n_test, d)
    beta = np.random.randn(d)
    beta[r:] = 0.0
    beta = np.abs(beta) / np.linalg.norm(beta)
    return {"X": X, "y": X @ beta, "Xtest": X_test, "ytest": X_test @ beta, "betaStar": beta}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--d", type=int, default=30)
    parser.add_argument("--r", type=int, default=3)
    parser.add_argument("--n-test", type=int, default=1000)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "packages", "implicit-bias", "fixtures", "notebook-seed0.json"))
    args = parser.parse_args()
    problem = notebook_problem(args.n, args.d, args.r, args.n_test)
    # repr of a Python float round-trips exactly, so the file holds NumPy's float64 values bit for bit.
    # Only the fields of a problem file (X, y, Xtest, ytest, betaStar): `sam-repro diag-net --problem` rejects others.
    content = {key: value.tolist() for key, value in problem.items()}
    directory = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        json.dump(content, file, separators=(",", ":"))
        file.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
