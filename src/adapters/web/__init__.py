"""The public web, fetched by the server for a user: an SSRF-safe page fetcher and an HTML page reader."""
