"""The generic environment's tests for any described DUT (bodies in testbase).

Run through `llama-dv run dut.yaml --golden module:function` (or the regression), which
sets LDV_DUT_DESC and LDV_GOLDEN. A DUT gets the stock tests under their own names, or,
when its YAML has `tests:`, exactly those: each a stock test under the DUT's name with its
knobs (rtl/hls/rope.yaml: `RopeBursty: {base: Random, flow: bursty, calls: 40}`), or a
body of the user's own (`base: my_tests:BigPositions`, a GenericTest subclass). Tests
the DUT's interfaces do not allow (llama_dv.tb.generic.suite) are marked skipped with the
reason. The classes are made and registered here, at import, because pyuvm registers a
test in the module that calls its decorator.
"""
from __future__ import annotations

import importlib
import os

import pyuvm

from llama_dv.tb.common.knobs import DESCRIPTION_ENV
from llama_dv.tb.dut_description import TestVariant
from llama_dv.tb.generic import testbase
from llama_dv.tb.generic.env import description_from_env
from llama_dv.tb.generic.suite import STOCK_DOCS, not_applicable, test_variants

_DESC = description_from_env() if os.environ.get(DESCRIPTION_ENV) else None
_SKIP = not_applicable(_DESC) if _DESC else {}


def _base(variant: TestVariant) -> type[testbase.GenericTest]:
    """The stock body a variant names, or its own `module:Class` (a GenericTest subclass)."""
    where = f"{_DESC.where if _DESC else 'tests'}: tests.{variant.name}"
    if ":" not in variant.base:
        return getattr(testbase, variant.base)
    module, _, name = variant.base.partition(":")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, testbase.GenericTest)):
        raise ValueError(f"{where}: base {variant.base!r} is not a subclass of llama_dv.tb.generic.testbase.GenericTest")
    return cls


for _variant in test_variants(_DESC):
    _cls = _base(_variant)
    _unknown = [k for k in _variant.knobs if not hasattr(_cls, k)]
    if _unknown:
        raise ValueError(f"{_DESC.where if _DESC else 'tests'}: tests.{_variant.name}: {_variant.base} has no knob "
                         f"{_unknown[0]!r}")
    _test = type(_variant.name, (_cls,), {"__doc__": _variant.doc or STOCK_DOCS.get(_variant.base) or _cls.__doc__,
                                          "__module__": __name__, **_variant.knobs})
    globals()[_variant.name] = pyuvm.test(skip=_variant.base in _SKIP)(_test)
