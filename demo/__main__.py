"""``python -m demo``: the same command as ``medqa demo``."""

from demo.cli import demo

if __name__ == "__main__":
    demo(prog_name="python -m demo")
