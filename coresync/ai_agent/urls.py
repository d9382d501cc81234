from django.urls import path

from .api.atlas import atlas_webhook
from .api.views import ChatHistoryView, ChatReplayView, ChatView

app_name = "ai_agent"

urlpatterns = [
    path("api/v1/chat/", ChatView.as_view(), name="chat"),
    path("api/ai/atlas-webhook/", atlas_webhook, name="atlas-webhook"),
    path("api/v1/manager/conversations/", ChatHistoryView.as_view(), name="conversations"),
    path("api/v1/manager/conversations/<uuid:session_id>/", ChatReplayView.as_view(), name="conversation-replay"),
]
