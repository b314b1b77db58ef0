"""llama-dv: the verification environment's one import namespace.

The repository keeps its folders at the top (tb/, models/, regress/, hls/); the package
maps them here, so they import as ``llama_dv.tb``, ``llama_dv.models``, ``llama_dv.regress``
and ``llama_dv.hls`` and nothing generic lands in site-packages.
"""
