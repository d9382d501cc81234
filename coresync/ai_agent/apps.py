from django.apps import AppConfig


class AiAgentConfig(AppConfig):
    name = "coresync.ai_agent"
    label = "ai_agent"
    verbose_name = "AI concierge"

    def ready(self) -> None:
        from . import receivers, signals

        signals.connect()
        receivers.connect()
