"""Completion without the protocol: the cursor decision, the debounce, the cache, the
post-processing of model text, local items, and the engine that runs them in order.

Nothing here imports pygls or talks to the network; the model is reached only through
the `complete` function the caller hands to `CompletionEngine`.
"""
