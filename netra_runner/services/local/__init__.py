"""Services as local processes: the backend for machines without Docker."""
