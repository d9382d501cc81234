"""OpenAI-compatible chat models (OpenAI, or a local llama.cpp / vLLM / Ollama server) for the concierge's LLM engine."""
