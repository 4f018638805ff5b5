"""Prints what a wrapper could change: argv, sys.path[0], __main__, __file__,
the working directory and a chosen environment variable."""
import os
import sys

print(repr(sys.argv))
print(repr(sys.path[0]))
print(__name__, repr(os.path.basename(__file__)))
print(repr(sys.modules["__main__"].__file__))
print(os.getcwd())
print(os.environ.get("PP_E2E_MARK"))
print("stdin:", repr(sys.stdin.read()))
