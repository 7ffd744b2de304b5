"""What syndedup publishes: RSS/Atom/JSON Feed and the clusters report, the audit page, atomic
writes, and ``serve``."""
