"""Ground truth, per line: in work(), line A runs three times as many
iterations as line B (each loop on one line).  Expected: line A 75% of
work()'s self samples."""
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600000


def work(n):
    x = 0
    for i in range(3 * n): x = i ^ (i >> 3)  # line A  # noqa: E701
    for i in range(n): x = i ^ (i >> 3)  # line B  # noqa: E701
    return x


def main():
    for _ in range(6):
        work(N)


if __name__ == "__main__":
    main()
