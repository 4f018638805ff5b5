"""numpy's matrix product on several OpenBLAS threads (run with
OPENBLAS_NUM_THREADS=2): the workers have no Python thread state.
Expected: their samples under "<native thread: OPENBLAS LIBRARY>", none
dropped, and the main thread's share on the line of the product.

Usage: openblas_threads.py [SECONDS]"""
import sys
import time

import numpy as np

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5


def main():
    a = np.random.rand(700, 700)
    t0 = time.time()
    while time.time() - t0 < SECONDS:
        b = a @ a  # the product
        a = b / np.abs(b).max()


if __name__ == "__main__":
    main()
