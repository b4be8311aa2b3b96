"""One module per command: gather facts, decide, apply."""
