"""Django's MySQL backend, with transactions that cost one round trip less.

Django starts a transaction by turning autocommit off and ends it by turning it back on after
the COMMIT: three statements around the transaction's own. Here a transaction starts with BEGIN
while autocommit stays on, as Django's SQLite backend does, so it ends with its COMMIT (or
ROLLBACK) alone: mysqlclient skips turning on an autocommit that the server says is on. Every
write of the app is one transaction, so each saves a round trip to the database.
"""

from django.db.backends.mysql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        with debug_transaction(self, "BEGIN"):
            self.connection.query("BEGIN")
