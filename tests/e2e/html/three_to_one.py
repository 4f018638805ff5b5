"""heavy() does three times the work of light(), interleaved so that both
see the same machine state; about SECONDS (default 0.6) of CPU in all."""
import sys
import time


def spin(n):
    x = 0
    for i in range(n):
        x += i
    return x


def heavy():
    return spin(30000)


def light():
    return spin(10000)


def main(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        heavy()
        light()


main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.6)
