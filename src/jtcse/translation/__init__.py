"""Round-trip translation (RTT): each training sentence translated into a pivot language and
back with any pair of ``AutoModelForSeq2SeqLM`` models, an extra positive view for a tower
(docs/method.md#towers). :mod:`.settings` (no torch), :mod:`.generation` (batched, resumable by
chunks), :mod:`.views` (the ``sentence<TAB>round_trip`` file and its degenerate lines)."""
