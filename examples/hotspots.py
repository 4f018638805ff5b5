"""A small program with known hotspots, for trying pyperf-stat.

heavy() does three times the work of light(), so pyperf-stat should put
about 75% of task-clock in heavy and 25% in light; inside mixed(), the
first loop line does three times the work of the second (see --lines).
"""
import sys


def spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def heavy(n):
    return spin(3 * n)


def light(n):
    return spin(n)


def mixed(n):
    a = sum(i * i for i in range(3 * n))   # three quarters of mixed()
    b = sum(i * i for i in range(n))       # one quarter
    return a + b


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    for _ in range(3):
        heavy(n)
        light(n)
    mixed(n)
    print("done")


if __name__ == "__main__":
    main()
