"""The default chain and the studies as DVC stages, derived from the Kedro project.

``dvc.yaml`` (and ``studies/<study>/dvc.yaml``) are written by ``python -m jtcse.chain
dvc-yaml``, never by hand: one stage per Kedro pipeline, whose

- ``deps`` are the catalog files the pipeline reads and every ``jtcse`` module its nodes run
  (:mod:`jtcse.chain.imports`: the imports of the node functions' modules, followed
  transitively, imports inside functions included),
- ``params`` are the parameter keys its nodes read (and the ``globals.yml`` keys those
  interpolate), and
- ``outs`` / ``metrics`` / ``plots`` are the catalog files it writes
  (:mod:`jtcse.chain.stages`).

``python -m jtcse.chain dvc-yaml --check`` fails when a committed file differs from what the
project gives (a test runs it).
"""
