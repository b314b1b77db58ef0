"""`python -m llama_dv.regress.yosys`: see llama_dv.regress.yosys.command."""
from llama_dv.regress.yosys.command import main

raise SystemExit(main())
