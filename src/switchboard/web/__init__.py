"""The web pages: the CCP, the supervisor's pages and their shell (Jinja2, plain JS, no CDN)."""
