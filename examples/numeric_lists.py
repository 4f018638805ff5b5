"""Row versus column order over a pure-Python list of lists
(docs/numeric.md).

Both functions add the same N * N floats with the same expression,
grid[i][j].  The rows and their floats were allocated one row after the
other, so in row order the next float is usually next to the last one in
memory; in column order every step goes to another row's list and to a
float allocated N floats away: a cache miss (or two) per element.

    pyperf-stat --lines examples/numeric_lists.py [hostile|friendly|both]
"""
import random
import sys

N = 1500


def row_order(grid):
    total = 0.0
    for i in range(N):
        for j in range(N): total += grid[i][j]  # cache-friendly  # noqa: E701
    return total


def column_order(grid):
    total = 0.0
    for j in range(N):
        for i in range(N): total += grid[i][j]  # cache-hostile  # noqa: E701
    return total


def main(which):
    grid = [[random.random() for _ in range(N)] for _ in range(N)]
    for _ in range(2):
        if which in ("both", "friendly"):
            row_order(grid)
        if which in ("both", "hostile"):
            column_order(grid)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both")
