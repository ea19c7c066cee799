"""Rate limits and connection slots: in this process's memory, or in Redis shared by every process."""
