"""Strided versus contiguous traversal of a numpy array (docs/numeric.md).

The same work, two ways over a C-ordered (row-major) matrix: scale it in
place row by row, each row a contiguous run of memory, or column by
column, each column one element per row, N * 8 bytes apart, so that
every element brings in a cache line of its own and uses 8 of its 64
bytes.

    pyperf-stat --lines examples/numeric_strided.py            # both
    pyperf-stat --lines examples/numeric_strided.py hostile    # one
    pyperf-stat --lines examples/numeric_strided.py friendly
"""
import sys

import numpy as np

N = 4000  # 4000 x 4000 doubles: 128 MB, far beyond any cache


def by_rows(a):
    for i in range(a.shape[0]):
        a[i, :] *= 1.0001  # cache-friendly: contiguous


def by_columns(a):
    for j in range(a.shape[1]):
        a[:, j] *= 1.0001  # cache-hostile: stride of N * 8 bytes


def main(which):
    a = np.random.rand(N, N)
    for _ in range(3):
        if which in ("both", "friendly"):
            by_rows(a)
        if which in ("both", "hostile"):
            by_columns(a)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both")
