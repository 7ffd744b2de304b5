"""The stages, in the order the runner applies them.

ingest, normalize, fingerprint (with boilerplate), dedup, attribute, emit.
"""
