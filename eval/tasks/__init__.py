"""Built-in task files (YAML), loaded with ``eval.taskspec.load_task(name)``."""
