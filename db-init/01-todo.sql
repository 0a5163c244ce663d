-- Runs ONCE, when the db container starts on an empty data volume (the image's entrypoint runs
-- every *.sql in /docker-entrypoint-initdb.d as root, after creating MYSQL_DATABASE=todo and
-- MYSQL_USER=todo). It does not run again on later starts: to re-run it, `docker compose down -v`
-- (which deletes the data) or apply it by hand with `docker compose exec -T db mysql ...`.
-- The names `todo` and `test_todo` match the fixed MYSQL_DATABASE / MYSQL_USER in compose.yaml.

-- utf8mb4 (full Unicode, 4-byte emoji included) and the app's one collation (todo_site/database.py),
-- stated explicitly rather than left to the server's defaults.
ALTER DATABASE `todo` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;

-- Django's test runner (pytest-django, manage.py test) creates and drops `test_todo`; give the
-- app user exactly that database. `\_` is a literal underscore in GRANT's database name.
GRANT ALL PRIVILEGES ON `test\_todo`.* TO 'todo'@'%';
