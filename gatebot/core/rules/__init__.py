"""One module per rule id of SPEC §5.1; each exposes a pure ``evaluate`` function."""
