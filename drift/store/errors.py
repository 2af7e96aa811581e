"""The store's error, from the project's one exception tree (re-exported for the store)."""

from drift.errors import StoreError as StoreError
