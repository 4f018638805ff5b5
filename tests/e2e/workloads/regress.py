"""Ground truth for `pyperf-stat diff`: slow_path() and steady() do the
same work in their own bodies (CPU, and freshly touched pages: one page
fault each), in alternation, unless PP_REGRESS=1, which doubles
slow_path()'s; steady() never changes.  About 0.2 s of CPU in all (argv[1]
scales it)."""
import mmap
import os
import sys

PAGE = mmap.PAGESIZE
REGRESS = os.environ.get("PP_REGRESS") == "1"


def slow_path(n, pages):
    if REGRESS:
        n, pages = 2 * n, 2 * pages
    x = 0
    for i in range(n):
        x += i * i
    m = mmap.mmap(-1, pages * PAGE)
    for off in range(0, pages * PAGE, PAGE):
        m[off] = 1
    m.close()
    return x


def steady(n, pages):
    x = 0
    for i in range(n):
        x += i * i
    m = mmap.mmap(-1, pages * PAGE)
    for off in range(0, pages * PAGE, PAGE):
        m[off] = 1
    m.close()
    return x


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for _ in range(int(40 * scale)):
        slow_path(25000, 128)
        steady(25000, 128)


main()
