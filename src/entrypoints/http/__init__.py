"""The Litestar HTTP and WebSocket entrypoint."""
