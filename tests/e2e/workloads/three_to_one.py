"""Ground truth by construction: heavy() does exactly three times the
work of light() in its own body (CPU and freshly touched pages alike),
in alternation, for about SECONDS of CPU (argv[1])."""
import mmap
import sys
import time

PAGE = mmap.PAGESIZE


def heavy():
    x = 0
    for i in range(30000):
        x += i * i
    m = mmap.mmap(-1, 48 * PAGE)   # fresh pages: one fault each
    for off in range(0, 48 * PAGE, PAGE):
        m[off] = 1
    m.close()
    return x


def light():
    x = 0
    for i in range(10000):
        x += i * i
    m = mmap.mmap(-1, 16 * PAGE)
    for off in range(0, 16 * PAGE, PAGE):
        m[off] = 1
    m.close()
    return x


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.6
    end = time.process_time() + seconds
    while time.process_time() < end:
        heavy()
        light()


main()
