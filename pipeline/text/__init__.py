"""Pure text functions, no I/O: HTML to paragraphs, Unicode repair, credit lines and datelines,
tokens and shingles, MinHash signing, Jaccard and containment, per-feed boilerplate."""
