"""attention on the generic environment: its golden (golden.py), directed and random
calls (sequences.py) and covergroups (coverage.py); pins come from rtl/hls/attention.yaml."""
