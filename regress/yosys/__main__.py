"""`python -m regress.yosys`: see regress.yosys.command."""
from regress.yosys.command import main

raise SystemExit(main())
