"""SendGrid: the e-mail backend on the official SDK. Its signed Event Webhook: ``notifications/webhooks/``."""
