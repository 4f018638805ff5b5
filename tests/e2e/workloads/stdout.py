"""Writes bytes a wrapper could mangle: no trailing newline, \r, NUL,
invalid UTF-8, a long line, and interleaved stderr."""
import sys

out = sys.stdout.buffer
out.write(b"line one\r\n\x00binary\xff\xfe\n")
out.write(b"x" * 70000 + b"\n")
sys.stderr.write("to stderr\n")
out.write(b"no newline at the end")
out.flush()
