from analytics.services import buffered


class AnalyticsBufferMiddleware:
    """Write the product events a request records with one INSERT, after its view has run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with buffered():
            return self.get_response(request)
