# const() for the modules of pos and drivers: MicroPython's (the compiler folds `_NAME = const(v)`
# away wherever const comes from), a plain function under CPython's tests and simulator.
try:
    from micropython import const  # noqa: F401
except ImportError:
    def const(x):
        return x
