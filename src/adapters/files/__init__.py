"""File storage: content-addressed uploads, in a folder of the data dir or in PostgreSQL; and the inspector that cleans them."""
