"""Benchmarks run by ``ssagrad bench``: ours and peers' side by side in one run."""
