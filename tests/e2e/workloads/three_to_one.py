"""Ground truth by construction: heavy() does exactly three times the
work of light() (CPU and freshly touched pages alike), in alternation,
for about SECONDS of CPU (argv[1])."""
import mmap
import sys
import time

PAGE = mmap.PAGESIZE


def work(n, pages):
    x = 0
    for i in range(n):
        x += i * i
    m = mmap.mmap(-1, pages * PAGE)   # fresh pages: one fault each
    for off in range(0, pages * PAGE, PAGE):
        m[off] = 1
    m.close()
    return x


def heavy():
    return work(30000, 48)


def light():
    return work(10000, 16)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.6
    end = time.process_time() + seconds
    while time.process_time() < end:
        heavy()
        light()


main()
