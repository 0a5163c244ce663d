"""The one character set and collation of every database the app runs on.

utf8mb4 stores all of Unicode, 4-byte emoji included. utf8mb4_unicode_520_ci (UCA 5.2.0) is the
newest accent- and case-insensitive collation that both MySQL 8.4 and MariaDB know, and it weighs
each emoji on its own (unicode_ci's UCA 4.0.0 weighs them all the same, so two lists named by
different emoji would collide). Production (db-init), the models, the test database and the bench
all use it, so the tests compare text exactly as production does.
"""

CHARSET = "utf8mb4"
COLLATION = "utf8mb4_unicode_520_ci"

# The table of Django's database cache, the "default" cache when there is no CACHE_URL (settings);
# accounts.models.CacheEntry has the migrations create it.
CACHE_TABLE = "todo_cache"
