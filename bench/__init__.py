"""Benchmarks: every figure is printed beside its baseline, measured in the same run."""
