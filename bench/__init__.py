"""Benchmarks and the labelled quality corpus builder (numbers are printed, never asserted on time)."""
