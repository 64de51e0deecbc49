"""Statuses an order goes through; shared by the handlers and the fulfilment state machine."""

PENDING_PAYMENT = "PENDING_PAYMENT"
PAID = "PAID"
FULFILLED = "FULFILLED"
CANCELLED = "CANCELLED"
