"""Where the outside calls in: the HTTP/WebSocket app, the command line, and the container that wires them."""
