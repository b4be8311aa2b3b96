"""The pure core: facts, rules, verdicts and the board model. No I/O lives here."""
