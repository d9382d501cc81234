"""Static files: hashed names for everything, pre-compressed copies of what people's pages load."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, minus compressing vendor bundles nobody loads on a phone.

    Brotli-compressing the Swagger UI / Redoc sidecar and DRF's assets (about 26 MB)
    made a fresh ``collectstatic`` take minutes; they are served uncompressed to
    the few staff who open ``/api/docs/``.
    """

    skip_compress_prefixes = ("drf_spectacular_sidecar/", "rest_framework/")

    def compress_files(self, paths):
        return super().compress_files([path for path in paths if not path.startswith(self.skip_compress_prefixes)])
