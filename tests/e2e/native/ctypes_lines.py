"""Native code of our own, loaded with ctypes (libpp_busy.so, built by
tests/e2e/native/meson.build): line A calls pp_busy_outer three times,
line B once.  Expected: line A 75% of work()'s samples by default (the C
time charged to the calling line); with --native, pp_busy_inner under
pp_busy_outer under each line.  Then, with a second library, a function
no symbol table names (libpp_stripped.so) on line C.

Usage: ctypes_lines.py LIBPP_BUSY LIBPP_STRIPPED [SECONDS]"""
import ctypes
import sys
import time

busy = ctypes.CDLL(sys.argv[1])
stripped = ctypes.CDLL(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 1.5
busy.pp_busy_outer.argtypes = [ctypes.c_long]
stripped.pp_stripped_entry.argtypes = [ctypes.c_long]
N = 2000000


def work(rounds):
    for _ in range(rounds):
        for _ in range(3): busy.pp_busy_outer(N)  # line A  # noqa: E701
        busy.pp_busy_outer(N)  # line B


def other(rounds):
    for _ in range(rounds):
        stripped.pp_stripped_entry(N)  # line C


def main():
    t0 = time.thread_time()
    work(2)
    per_round = max((time.thread_time() - t0) / 2, 1e-4)
    rounds = max(1, int(SECONDS / per_round))
    work(rounds)
    other(rounds)


if __name__ == "__main__":
    main()
