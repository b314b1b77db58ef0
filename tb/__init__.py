"""llama-dv testbench: pyuvm agents, environments, sequences, scoreboards and tests."""
