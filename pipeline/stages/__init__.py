"""The six stages, in the order the runner applies them: ingest, normalize, fingerprint, dedup,
attribute, emit. Each is a thin step over ``pipeline.text``, ``pipeline.sources``,
``pipeline.store`` and ``pipeline.outputs``.
"""
