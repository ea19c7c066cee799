"""Access tokens: JWTs signed with the server's secret."""
