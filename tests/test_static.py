"""Static files: hashed once collected, plain names straight from the app when not."""

from todo_site.storage import StaticFilesStorage


def test_an_uncollected_file_keeps_its_plain_name(tmp_path):
    storage = StaticFilesStorage(location=tmp_path)  # an empty STATIC_ROOT: nothing collected
    assert storage.url("todos/app.css") == "/static/todos/app.css"


def test_a_collected_file_gets_its_hashed_name(tmp_path):
    storage = StaticFilesStorage(location=tmp_path)
    (tmp_path / "todos").mkdir()
    (tmp_path / "todos" / "app.css").write_text("body { color: black; }")
    url = storage.url("todos/app.css")
    assert url.startswith("/static/todos/app.") and url.endswith(".css")
    assert url != "/static/todos/app.css"


def test_whitenoise_serves_app_static_files_without_collectstatic(client):
    response = client.get("/static/todos/app.js")
    assert response.status_code == 200
    assert b"X-Fragment" in b"".join(response.streaming_content)
