"""Atlas, the voice/chat provider: outgoing calls (texts to callers). Incoming events: ``ai_agent/api/atlas.py``."""
