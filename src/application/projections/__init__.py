"""Read models: projectors that turn the event log into views, and the runner that feeds them."""
