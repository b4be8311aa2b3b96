"""The ``github`` forge: GitHub through PyGithub (docs/protocol.md, "GitHub mode").

Modules: ``client`` (credentials, retries, redacted errors), ``writes`` (writes that are
neither lost nor doubled; GitHub's clock), ``labels`` (the labels, a task's stage),
``claims`` (claim comments, heartbeats, release), ``identity`` (the bot, builders, reviews
bound to the head SHA), ``verdicts`` (check runs or commit statuses, the sticky comment),
``escalations``. PyGithub is imported only when one of them is.
"""
