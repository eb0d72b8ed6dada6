"""The model layer: the only package that talks to a language model.

It knows nothing of LSP (the server and the CLI share it) and imports `openai` only
when a request is actually made. Start with `lantern.ai.service.AIService`.
"""
