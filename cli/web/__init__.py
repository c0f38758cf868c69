"""The web desk of `rumour serve`: app, routes, templates, chart and static files."""
