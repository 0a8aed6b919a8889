"""fabdesk benchmarks: see run.py and RESULTS.md."""
