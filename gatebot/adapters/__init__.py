"""Thin edges to the outside world: git, processes, checks, metrics, forges."""
