"""The robot's store: the only code that knows TinyDB (see :mod:`store.repository`)."""
from store.repository import COLLECTIONS, SCHEMA_VERSION, Collection, Store, cause_key, message_key
from store.storage import StoreBusy, StoreCorrupt, StoreError, StoreMissing

__all__ = ["COLLECTIONS", "SCHEMA_VERSION", "Collection", "Store", "StoreBusy", "StoreCorrupt", "StoreError",
           "StoreMissing", "cause_key", "message_key"]
