"""numpy on several OpenBLAS threads: samples on threads without a Python
thread state are native work (<native>), not drops; the Python caller of
the matrix product is charged for the main thread's share."""
import numpy as np


def matmul(n):
    a = np.random.rand(n, n)
    for _ in range(12):
        a = a @ a
        a /= np.linalg.norm(a)
    return a


def python_loop(n):
    x = 0
    for i in range(n):
        x = i ^ (i >> 3)
    return x


if __name__ == "__main__":
    matmul(900)
    python_loop(3000000)
