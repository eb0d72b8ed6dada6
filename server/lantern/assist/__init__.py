"""What the editor does with the model, without the protocol: which units of a document
need a review and what the model said of them (`review`), turning a model's fix into a
verified, minimal edit (`fixing`), generating code and files (`generation`) and keeping
a history of it (`history`).

Nothing here imports pygls or does network I/O itself: it calls `lantern.ai.AIService`
and `lantern.analysis`, and returns plain data that `lantern.lsp` and the CLI translate.
"""
