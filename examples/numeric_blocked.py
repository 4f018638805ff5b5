"""Naive versus blocked (tiled) transpose of a numpy array
(docs/numeric.md).

out[:] = a.T reads a in one order and writes out in the other: one of
the two walks memory with a stride of N * 8 bytes, and for a matrix much
larger than the cache every access of that side is a miss.  Copying
B x B tiles keeps both the tile being read and the tile being written in
the cache (2 * 128 * 128 * 8 bytes = 256 KB).

    pyperf-stat --lines examples/numeric_blocked.py [hostile|friendly|both]
"""
import sys

import numpy as np

N = 4000
B = 128


def naive(a, out):
    out[:] = a.T  # cache-hostile: strided reads of the whole matrix


def blocked(a, out):
    n = a.shape[0]
    for i in range(0, n, B):
        for j in range(0, n, B):
            out[i:i + B, j:j + B] = a[j:j + B, i:i + B].T  # cache-friendly: tiles


def main(which):
    a = np.random.rand(N, N)
    out = np.empty_like(a)
    for _ in range(3):
        if which in ("both", "hostile"):
            naive(a, out)
        if which in ("both", "friendly"):
            blocked(a, out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both")
