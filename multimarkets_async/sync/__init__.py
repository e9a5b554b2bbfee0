"""Customer sync: a database table (SQLite or PostgreSQL) that follows the API's customers.

``CustomerSync`` copies the customer listing with an exact walk and then applies the Data
Push events of its group; ``_schema`` holds the table's shape and SQL, ``_store`` the
database interface, ``_sqlite`` and ``_postgres`` the two databases, ``_changes`` what each
event asks of the table.
"""

from ._schema import BOOKKEEPING_COLUMNS, DATA_COLUMNS, EVENT_COLUMNS
from ._stats import SyncStats
from ._sync import CustomerSync

__all__ = ["BOOKKEEPING_COLUMNS", "DATA_COLUMNS", "EVENT_COLUMNS", "CustomerSync", "SyncStats"]
