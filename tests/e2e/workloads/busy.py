"""Burns SECONDS of CPU time (default 0.5) in pure Python."""
import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
end = time.process_time() + seconds
x = 0
while time.process_time() < end:
    for i in range(1000):
        x += i
