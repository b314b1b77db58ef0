"""Protocol agents: one package per interface family, each usable with any DUT that
follows the Vitis HLS port-naming convention (bound by port-name prefix). All of them
take their config the same way (`llama_dv.tb.agents.binding`: `configure(parent, name, cfg)`,
then `Agent(name, parent)`)."""
