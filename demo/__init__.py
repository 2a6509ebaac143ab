"""``medqa demo``: a Gradio medical chat app over any OpenAI-compatible endpoint.

Streaming answers, multi-turn history trimmed to a budget, side-by-side comparison of two endpoints,
optional retrieval with cited sources, a disclaimer under every answer and a red-flag banner that
sends emergencies to urgent care. The client, retriever and safety rules are the ones ``eval`` uses.
"""
