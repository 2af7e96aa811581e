"""Where the monitor remembers: baselines, runs, findings with their lifecycle, accepted risks.

`records` holds the plain records and the `Store` protocol; `sql` implements it with
SQLAlchemy 2 and Alembic migrations on SQLite (default) or PostgreSQL. The lifecycle rules
(new, persisting, resolved, unverifiable) are pure and live in `drift.lifecycle`: the store
only persists what they decide, one run per transaction.
"""
