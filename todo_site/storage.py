from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files once collected (the image runs collectstatic at build).

    A checkout served straight after `migrate`, without collectstatic, still works: a file that is
    not collected keeps its plain name, which whitenoise serves from the app's static folder
    (WHITENOISE_USE_FINDERS), instead of every page failing on a missing manifest entry.
    """

    manifest_strict = False

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:  # collectstatic is processing a real file: keep its errors
                raise
            return name
