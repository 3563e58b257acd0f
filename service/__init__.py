"""Vouch's domain: models, the introduction state machine, policies and use cases.

Nothing in this package imports Flask, marshmallow or Flask-Mail: the web layer
(`api/`) calls the use cases, and the collaborators the domain needs (clock,
token signer, settings) are passed in through `service.deps.Deps`.
"""
