"""Many instantiations of a class with a Python __init__: on CPython 3.13
the specialised call pushes an interpreter shim frame (_Py_InitCleanup,
named "__init__" in a file named "__init__") that must not show."""


class Thing:
    def __init__(self):
        x = 0
        for i in range(200):
            x += i
        self.x = x


def main():
    for _ in range(40000):
        Thing()


main()
