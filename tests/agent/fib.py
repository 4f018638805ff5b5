"""Ground truth, call-heavy: fib_heavy is called three times as often as
fib_light with the same argument.  Expected self share of fib_heavy: 75%."""
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 25


def fib_heavy(n):
    return n if n < 2 else fib_heavy(n - 1) + fib_heavy(n - 2)


def fib_light(n):
    return n if n < 2 else fib_light(n - 1) + fib_light(n - 2)


def main():
    th = tl = 0.0
    for _ in range(4):
        t0 = time.thread_time()
        fib_heavy(N)
        fib_heavy(N)
        fib_heavy(N)
        t1 = time.thread_time()
        fib_light(N)
        th += t1 - t0
        tl += time.thread_time() - t1
    sys.stderr.write("truth %.2f\n" % (100.0 * th / (th + tl)))


if __name__ == "__main__":
    main()
