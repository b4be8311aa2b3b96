"""Run gatebot as ``python -m gatebot``."""

from gatebot.cli import main

main()
