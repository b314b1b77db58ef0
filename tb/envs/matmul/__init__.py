"""matmul on the generic environment: its golden and env extension (golden.py), directed
and random calls (sequences.py), covergroups (coverage.py) and the ap_done check
(done_check.py); pins and the register map come from rtl/hls/matmul.yaml."""
