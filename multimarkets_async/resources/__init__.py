"""One resource class per vendor tag; each only describes its calls."""

from .customers import CustomersResource

__all__ = ["CustomersResource"]
