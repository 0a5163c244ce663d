"""Bring a database made with another collation (db-init used utf8mb4_0900_ai_ci) to the one
collation of todo_site.database, so that text compares the same way in every deployment."""

from django.db import migrations

from todo_site.database import CHARSET, COLLATION


def convert(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' "
            "AND TABLE_COLLATION <> %s",
            [COLLATION],
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT DATABASE()")
        database = cursor.fetchone()[0]
        cursor.execute(f"ALTER DATABASE {quote(database)} CHARACTER SET {CHARSET} COLLATE {COLLATION}")
        for table in tables:
            cursor.execute(
                f"ALTER TABLE {quote(table)} CONVERT TO CHARACTER SET {CHARSET} COLLATE {COLLATION}"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("todos", "0002_tasklist_name_collation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sessions", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop, elidable=True)]
