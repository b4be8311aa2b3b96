"""gatebot: a merge gate and review bot for teams of coding agents and people.

The package follows facts → pure decision → effects (design/ARCHITECTURE.md):
``gatebot.core`` is pure, ``gatebot.adapters`` touch the world, ``gatebot.app``
wires one command each, and ``gatebot.cli`` maps them to the contract of SPEC §6–§7.
"""

__version__ = "0.1.0"
