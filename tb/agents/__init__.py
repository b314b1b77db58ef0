"""Protocol agents: one package per interface family, each usable with any DUT that
follows the Vitis HLS port-naming convention (bound by port-name prefix)."""
