"""Stripe, on the official ``stripe`` SDK: the only package that imports it (``client.StripePaymentProvider``)."""
