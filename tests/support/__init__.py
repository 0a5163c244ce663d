"""What the tests and the bench share to run the app for real.

* ``live``: ``AppProcess`` (start the app, wait until it answers, always stop it), ``manage()``,
  ``REPO_ROOT``, ``clean_env()``, ``free_port()``, and ``require_in_ci()``, the one rule for a
  missing prerequisite (skip locally, fail under CI=true);
* ``http``: the one HTTP client for a real server;
* ``db``: ``db_url()``, scratch databases in the project's collation, ``explain()``, row snapshots;
* ``tcp_proxy``: a proxy in front of the database that a test can cut, hold and restore;
* ``hostile``: hypothesis strategies and checks for hostile form input.

``python -m bench`` imports ``live``, ``http`` and ``db`` from here (and copies this folder into
its snapshot of the app), so there is one harness for tests and benchmarks.
"""
