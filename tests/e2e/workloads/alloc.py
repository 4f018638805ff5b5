"""Allocates and touches MB megabytes (argv[1]), so page faults grow with it."""
import sys

mb = int(sys.argv[1])
buf = bytearray(mb * 1024 * 1024)
for i in range(0, len(buf), 4096):
    buf[i] = 1
print(len(buf))
